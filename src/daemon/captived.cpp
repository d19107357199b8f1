// captived as an executable of its own: see `captived --help`.
#include "captive/daemon/main.hpp"

int main(int argc, char** argv) { return captive::daemon::captived_main(argc, argv); }
