/*
 * main.c - the ringvm program: parse the command line, build the machine,
 * run it. For now only --help and --version exist; the machine arrives with
 * the CPU issue.
 */
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: ringvm [options]\n"
		   "  -h, --help       show this help\n"
		   "  --version        show the version\n");
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-version")) {
			printf("ringvm version %s\n", RINGVM_VERSION);
			return 0;
		}
		fprintf(stderr, "ringvm: unknown option '%s' (see ringvm --help)\n", argv[i]);
		return 1;
	}
	usage(stderr);
	return 1;
}
