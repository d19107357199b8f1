// Page templates (docs/templates.md): a small substitution language the
// operator may write pages in, compiled once (at start and on reload) and
// rendered many times. Pure: no files (includes come through a callback),
// no sockets, no kernel.
//
// Syntax, in a template's text:
//   {{name}}              the value of variable `name`, HTML-escaped (& < > " ':
//                         safe in text and in quoted attribute values)
//   {{@key}}              the message `key` of the page's language (escaped;
//                         a message's {name} is variable `name`, escaped)
//   {{#name}}...{{/name}} the part between, when `name` is not empty
//   {{^name}}...{{/name}} the part between, when `name` is empty
//   {{>file}}             the template `file` of the same directory (a plain
//                         name: no '/', no "..", at most kMaxIncludeDepth deep)
//   {{!comment}}          nothing
// That is all: no code, no loops, no raw output of a value the page is
// given (a page's values are text, escaped; the only HTML values are the
// few that captived itself builds, named in a page's Schema as html).
//
// Errors name the file and line ("signin.html:12: unknown variable
// {{sit_name}}"); a template with an error is refused whole.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "captive/http/buffer_writer.hpp"
#include "captive/util/result.hpp"

namespace captive::http {

inline constexpr std::size_t kMaxIncludeDepth = 4;
inline constexpr std::size_t kMaxTemplateBytes = 64 * 1024;
inline constexpr std::size_t kMaxSectionDepth = 8;

// A message catalog: one language's key -> text (docs/templates.md).
// Format: UTF-8 lines `key = text`; '#' starts a comment line; blank lines
// are skipped; keys are [a-z0-9._-]; `\n` in a text is a line break.
struct Catalog {
  std::string tag;                              // "en", "de", "pt-br" (lower case)
  std::map<std::string, std::string, std::less<>> messages;
  const std::string* find(std::string_view key) const {
    auto it = messages.find(key);
    return it == messages.end() ? nullptr : &it->second;
  }
};
// Errors name `file_name` and the line.
Result<Catalog> parse_catalog(std::string_view text, std::string_view tag, std::string_view file_name);
// Whether `tag` is a language tag we take for a file name: 2-8 letters,
// then optional -subtags of 1-8 letters or digits (RFC 5646 §2.1, loosely).
bool language_tag_valid(std::string_view tag);

// The variables a page may use: their names, and which of them carry HTML
// that captived built (never a value from a client or the operator's
// config: those are text).
struct Schema {
  std::vector<std::string> text;
  std::vector<std::string> html;
};

// One variable's value when rendering. Indexed like Schema::text then
// Schema::html (text first).
using Values = std::span<const std::string_view>;

class Template {
 public:
  struct Node;
  // How an include's text is found: its name -> text, or nullopt if there
  // is no such file (a refused name never gets here: compile() checks it).
  using Includes = std::function<std::optional<std::string>(std::string_view name)>;

  // Compiles `source` (named `file_name` in errors) for `schema`. Message
  // keys are checked against `messages` (the fallback language: every key
  // a template uses must be there).
  static Result<Template> compile(std::string_view source, std::string_view file_name, const Schema& schema,
                                  const Catalog& messages, const Includes& includes);

  // The page, with messages of `catalog` (missing there: of `fallback`).
  std::string render(const Catalog& catalog, const Catalog& fallback, Values values) const;

  // A form for rendering without allocation: every section, message and
  // variable resolved but the `dynamic` ones (indices into Values), which
  // stay holes to fill at render time (Flat::render).
  struct Flat {
    struct Segment {
      std::string literal;   // written as is
      int dynamic = -1;      // >= 0: index in `dynamic` of the value written here
    };
    std::vector<Segment> segments;
    // Writes the page into `out`; `put(out, i)` writes dynamic value i (it
    // must escape it: it is only given the writer). No allocation.
    template <class Put>
    void render(BufferWriter& out, Put&& put) const {
      for (const auto& s : segments) {
        if (s.dynamic >= 0)
          put(out, static_cast<std::size_t>(s.dynamic));
        else
          out.put(s.literal);
      }
    }
  };
  // `values` gives every variable; those named in `dynamic` are left as holes.
  Flat flatten(const Catalog& catalog, const Catalog& fallback, Values values,
               std::span<const std::string_view> dynamic) const;

  // The variable names, as given to compile().
  const Schema& schema() const { return *schema_; }

 private:
  Template(std::shared_ptr<const std::vector<Node>> nodes, std::shared_ptr<const Schema> schema)
      : nodes_(std::move(nodes)), schema_(std::move(schema)) {}
  std::shared_ptr<const std::vector<Node>> nodes_;
  std::shared_ptr<const Schema> schema_;
};

struct Template::Node {
  enum class Kind { literal, variable, message, section, inverted };
  Kind kind = Kind::literal;
  std::string text;      // literal: the text; message: the key
  std::size_t index = 0; // variable/section/inverted: index in Values
  bool html = false;     // variable: an html value (not escaped)
  std::vector<Node> children;
};

// Whether `name` may be included: [A-Za-z0-9_.-], 1-64 chars, not
// starting with '.', so never "..", never a path.
bool include_name_valid(std::string_view name);

// Writes `text` with {name} placeholders replaced by the escaped values of
// `schema`'s variables (unknown names are written as they are); the text
// itself is escaped too.
void put_message(BufferWriter& out, std::string_view text, const Schema& schema, Values values);

// RFC 9110 §12.5.4: the best of `available` (lower case tags; index 0 is
// the fallback) for an Accept-Language value. A range matches a tag equal
// to it or that it is a prefix of at a '-' ("de" matches "de-ch"), and a
// tag matches a range it is a prefix of ("de" serves "de-CH"); q=0 means
// "not this one"; "*" is any. The highest q wins, then the order in the
// header. Never allocates; an unparsable header gets index 0.
std::size_t pick_language(std::string_view accept_language, std::span<const std::string_view> available);

}  // namespace captive::http
