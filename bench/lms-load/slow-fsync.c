/*
 * Storage stand-in for the board's SD card, used only by bench/lms-load: every fsync and fdatasync
 * of the process first does the real call, then sleeps PILMS_FSYNC_DELAY_US microseconds, as a slow
 * card keeps the calling thread waiting. Loaded with LD_PRELOAD; built at bench time with cc.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>

static long delay_us = -1;

static void wait_like_a_slow_card(void) {
  if (delay_us < 0) {
    const char *value = getenv("PILMS_FSYNC_DELAY_US");
    delay_us = value ? atol(value) : 0;
  }
  if (delay_us > 0) {
    struct timespec pause = {delay_us / 1000000, (delay_us % 1000000) * 1000};
    nanosleep(&pause, NULL);
  }
}

int fsync(int fd) {
  static int (*real_fsync)(int);
  if (!real_fsync) real_fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
  int result = real_fsync(fd);
  wait_like_a_slow_card();
  return result;
}

int fdatasync(int fd) {
  static int (*real_fdatasync)(int);
  if (!real_fdatasync) real_fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
  int result = real_fdatasync(fd);
  wait_like_a_slow_card();
  return result;
}
