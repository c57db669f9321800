/*
 * Execs argv[1..] from a second thread while the leader waits: the kernel
 * (de_thread) ends the leader, gives its tid to this thread and copies the
 * leader's start time into it. Prints the thread's own tid first.
 */
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static char **target;

static void *exec_from_thread(void *unused) {
	(void)unused;
	printf("%ld\n", (long)syscall(SYS_gettid));
	fflush(stdout);
	execv(target[0], target);
	perror("execv");
	_exit(127);
}

int main(int argc, char **argv) {
	pthread_t thread;
	if(argc < 2) {
		fprintf(stderr, "usage: %s PROGRAM [ARG...]\n", argv[0]);
		return 2;
	}
	target = argv + 1;
	if(pthread_create(&thread, NULL, exec_from_thread, NULL) != 0) {
		perror("pthread_create");
		return 1;
	}
	for(;;) {
		pause();
	}
}
