// captivectl as an executable of its own: see `captivectl --help`.
#include "captive/cli/main.hpp"

int main(int argc, char** argv) { return captive::cli::captivectl_main(argc, argv); }
