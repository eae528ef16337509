/* Function names as their source spells them. */
#ifndef SS_DEMANGLE_H
#define SS_DEMANGLE_H

/* The C++ (Itanium ABI) name sym mangles, "ns::f(int)" for "_ZN2ns1fEi",
 * malloc'ed; NULL when sym is no such name (C, or not one the demangler
 * knows). Rust's legacy names follow the same ABI. */
char *ss_demangle(const char *sym);

#endif
