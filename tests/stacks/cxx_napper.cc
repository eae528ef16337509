// A C++ program whose thread sleeps in a member function of a class in a
// namespace (tests/stacks/cxx_names.sh): its stacks' names must read as the
// source spells them, not as the linker's symbols.
#include <time.h>

namespace napper {
struct Pool {
	int rounds;
	// The system call made here, not in libc's wrapper: a wrapper
	// without a frame pointer hides its caller from a frame-pointer walk.
	__attribute__((noinline)) void nap(int ms)
	{
		struct timespec ts = { 0, ms * 1000000L };
		long ret;

		asm volatile("syscall" : "=a"(ret) : "0"(35L /* nanosleep */), "D"(&ts), "S"(0L)
			     : "rcx", "r11", "memory");
		(void)ret;
	}
	__attribute__((noinline)) void run(int ms)
	{
		for (int i = 0; i < rounds; i++)
			nap(ms);
	}
};
}

int main()
{
	napper::Pool p{5};

	p.run(20);
	return 0;
}
