// captived's main (src/daemon/main.cpp): its own executable's main()
// (src/daemon/captived.cpp), or an entry of the multi-call binary
// (src/daemon/multicall.cpp, -Dmulticall=true).
#pragma once

namespace captive::daemon {

int captived_main(int argc, char** argv);

}  // namespace captive::daemon
