#include <cstdio>

#include "core/error.h"

int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  std::printf("ascent\n");
  return 0;
}
