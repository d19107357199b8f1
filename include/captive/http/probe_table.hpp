// The operating systems' connectivity probes (docs/clients.md): which
// requests get the 302 instead of the 511. Read from a small text file at
// start (`captived --probes FILE`, shipped as data/probes), kept in a
// fixed-size table, matched on the packet path without allocating.
//
// File format, one probe a line, fields separated by blanks, '#' starts a
// comment:
//     HOST PATH [ANSWER [LABEL]]
//   HOST    a DNS name (or IPv4 literal), no port; matched case-insensitively
//           against the request's Host (port and a trailing dot stripped)
//   PATH    "/exact/path", "/prefix*" (any path starting so) or "*" (any
//           path); the request's query string is not part of the match
//   ANSWER  302 (default): 302 Found to the sign-in page; 511: the 511, as
//           for every request that is not in the table
//   LABEL   who sends it ("android", "apple"): `captivectl doctor` says it;
//           default the host
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "captive/http/answer_kind.hpp"
#include "captive/http/request.hpp"
#include "captive/util/result.hpp"

namespace captive::http {

inline constexpr std::size_t kMaxProbes = 128;
inline constexpr std::size_t kMaxProbePath = 255;
inline constexpr std::size_t kMaxProbeLabel = 24;
inline constexpr std::size_t kMaxProbeFileBytes = 64 * 1024;

enum class PathMatch : std::uint8_t { exact, prefix, any };

struct Probe {
  std::string_view host;   // lower case, no port, no trailing dot
  std::string_view path;   // without the '*' of a prefix; empty for any
  PathMatch match = PathMatch::exact;
  AnswerKind answer = AnswerKind::probe_redirect;
  std::string_view label;  // never empty (the host when the line has none)
  std::size_t line = 0;    // in the file it came from
};

class ProbeTable {
 public:
  std::size_t size() const { return count_; }
  Probe operator[](std::size_t i) const;

  // The first probe the request matches: Host (or the authority of an
  // absolute-form target, RFC 9112 §3.2.2) and the path before any '?'.
  // A request without a Host, or whose target is cut short, matches
  // nothing. Never allocates, never throws.
  std::optional<std::size_t> find(const Request& request) const;

  // Adds one probe (host lower-cased here). False when the table or its
  // text store is full.
  bool add(std::string_view host, std::string_view path, PathMatch match, AnswerKind answer,
           std::string_view label, std::size_t line);

 private:
  struct Entry {
    std::uint16_t host_at, host_length, path_at, path_length, label_at, label_length;
    PathMatch match;
    AnswerKind answer;
    std::uint32_t line;
  };
  std::string_view text(std::uint16_t at, std::uint16_t length) const { return {text_.data() + at, length}; }
  bool store(std::string_view s, std::uint16_t& at, bool lower);

  std::array<Entry, kMaxProbes> entries_{};
  std::size_t count_ = 0;
  std::array<char, 32 * 1024> text_{};
  std::size_t text_used_ = 0;
};

// Parses a probe file's text. Errors name the place: "FILE:LINE: what".
// An empty file (or only comments) is a valid empty table: every request
// then gets the 511.
Result<ProbeTable> parse_probe_table(std::string_view text, std::string_view file_name);

}  // namespace captive::http
