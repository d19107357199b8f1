// One executable that is both captived and captivectl (-Dmulticall=true,
// router builds): captivectl is installed as a symbolic link to captived,
// and the program is chosen by the name it was started as, as busybox does.
// The two share Boost.JSON, the control protocol's requests, the users
// file and the std instantiations; stored once, that is 156 KB less on
// mipsel (docs/performance.md, "Size", third pass).
#include <cstring>

#include "captive/cli/main.hpp"
#include "captive/daemon/main.hpp"

int main(int argc, char** argv) {
  const char* name = argc > 0 && argv[0] ? argv[0] : "";
  if (const char* slash = std::strrchr(name, '/')) name = slash + 1;
  // Any other name (captived, or a copy renamed by hand) is the daemon:
  // what was installed under that name before.
  if (std::strcmp(name, "captivectl") == 0) return captive::cli::captivectl_main(argc, argv);
  return captive::daemon::captived_main(argc, argv);
}
