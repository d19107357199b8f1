// What one Argon2id hash (libsodium crypto_pwhash_str, as captivectl user
// add makes them and captived verifies them) costs on this machine, by
// opslimit and memlimit: wall time (median of 7) and the peak RSS growth.
// Build and run by hand (docs/performance.md, "Password hashing"):
//   g++ -O2 -std=c++20 -o build/bench-pwhash bench/pwhash.cpp -lsodium && build/bench-pwhash
#include <sodium.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

int main() {
  if (sodium_init() < 0) return 1;
  std::printf("%-6s %-9s %10s %10s %12s\n", "ops", "mem(KiB)", "hash(ms)", "verify(ms)", "maxrss(KiB)");
  for (unsigned long long ops : {1ull, 2ull, 3ull, 4ull}) {
    for (std::size_t mem_kib : {4096u, 8192u, 16384u, 32768u, 65536u}) {
      char hashed[crypto_pwhash_STRBYTES];
      std::vector<double> hash_ms, verify_ms;
      for (int i = 0; i < 7; ++i) {
        auto t0 = std::chrono::steady_clock::now();
        if (crypto_pwhash_str(hashed, "correct horse", 13, ops, mem_kib * 1024) != 0) return 2;
        auto t1 = std::chrono::steady_clock::now();
        if (crypto_pwhash_str_verify(hashed, "correct horse", 13) != 0) return 3;
        auto t2 = std::chrono::steady_clock::now();
        hash_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
        verify_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
      }
      std::sort(hash_ms.begin(), hash_ms.end());
      std::sort(verify_ms.begin(), verify_ms.end());
      rusage ru{};
      getrusage(RUSAGE_SELF, &ru);
      std::printf("%-6llu %-9zu %10.1f %10.1f %12ld\n", ops, mem_kib, hash_ms[3], verify_ms[3], ru.ru_maxrss);
    }
  }
}
