/*
 * main.c - ringvm-img entry point: picks the subcommand and runs it.
 *
 * The command-line syntax, option letters and exit codes follow qemu-img
 * where the two overlap, so scripts written for one work with the other.
 * Single-threaded (see img.h).
 */
#include <stdlib.h>
#include <string.h>

#include "img.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *synopsis;
} cmds[] = {
	{ "bench", img_cmd_bench, "bench [-c count] [-d depth] [-f fmt] [--flush-interval=n] [-i aio] [-n] [--no-drain] [-o offset] [--pattern=n] [-q] [-s size] [-S step] [-t cache] [-w] [-U] filename" },
	{ "check", img_cmd_check, "check [-q] [-f fmt] [--output=human|json] [-r leaks|all] [-U] filename" },
	{ "commit", img_cmd_commit, "commit [-q] [-f fmt] [-t cache] [-d] [-p] filename" },
	{ "compare", img_cmd_compare, "compare [-f fmt] [-F fmt] [-T cache] [-p] [-q] [-s] [-U] filename1 filename2" },
	{ "convert", img_cmd_convert, "convert [-c] [-p] [-q] [-n] [-W] [-U] [-f fmt] [-t cache] [-T src_cache] [-O output_fmt] [-B backing] [-o options] [-S sparse_size] [-m num] filename output_filename" },
	{ "create", img_cmd_create, "create [-q] [-f fmt] [-b backing_file [-F backing_fmt]] [-u] [-o options] filename [size]" },
	{ "info", img_cmd_info, "info [-f fmt] [--output=human|json] [--backing-chain] [-U] filename" },
	{ "map", img_cmd_map, "map [-f fmt] [--output=human|json] [-U] filename" },
	{ "measure", img_cmd_measure, "measure [--output=human|json] [-O output_fmt] [-o options] [--size N | [-f fmt] filename]" },
	{ "rebase", img_cmd_rebase, "rebase [-q] [-f fmt] [-t cache] [-T src_cache] [-p] [-u] [-U] -b backing_file [-F backing_fmt] filename" },
	{ "resize", img_cmd_resize, "resize [-q] [-f fmt] [--shrink] [--preallocation=mode] filename [+|-]size" },
	{ "snapshot", img_cmd_snapshot, "snapshot [-q] [-f fmt] [-U] [-l | -a snapshot | -c snapshot | -d snapshot] filename" },
};

static void help(void)
{
	printf("usage: ringvm-img command [command options]\n"
	       "Create, inspect, convert and modify raw and qcow2 disk images.\n\n"
	       "Commands:\n");
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		printf("  %s\n", cmds[i].synopsis);
	printf("\nSizes take the suffixes k/K, M, G, T, P, E (powers of 1024).\n"
	       "Cache modes (-t/-T): none, writeback, writethrough, directsync, unsafe.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		img_err("no command given (see 'ringvm-img --help').");
		return 1;
	}
	const char *c = argv[1];
	if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
		help();
		return 0;
	}
	if (!strcmp(c, "--version") || !strcmp(c, "-V")) {
		printf("ringvm-img version %s\n", RINGVM_VERSION);
		return 0;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (!strcmp(c, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	img_err("unknown command '%s' (see 'ringvm-img --help').", c);
	return 1;
}
