// captivectl's main (src/cli/main.cpp): its own executable's main()
// (src/cli/captivectl.cpp), or an entry of the multi-call binary
// (src/daemon/multicall.cpp, -Dmulticall=true).
#pragma once

namespace captive::cli {

int captivectl_main(int argc, char** argv);

}  // namespace captive::cli
