#!/bin/sh
# hello: smallest guest test - proves the kernel booted, /init ran and userspace
# works (a pipe, a checksum and /proc). Prints RINGVM-HELLO-OK on success.
set -e
sum=$(echo ringvm | sha256sum | cut -c1-16)
[ "$sum" = "$(echo ringvm | sha256sum | head -c16)" ]
echo "hello from $(uname -m) $(uname -r), $(grep -c ^processor /proc/cpuinfo) cpu(s), args: $*"
echo "RINGVM-HELLO-OK"
