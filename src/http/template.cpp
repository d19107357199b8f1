#include "captive/http/template.hpp"

#include <algorithm>
#include <charconv>

#include "captive/http/text.hpp"

namespace captive::http {
namespace {

bool name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

bool key_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Index of `name` in the schema (text first, then html), or nullopt.
struct Found {
  std::size_t index;
  bool html;
};
std::optional<Found> find_variable(const Schema& schema, std::string_view name) {
  for (std::size_t i = 0; i < schema.text.size(); ++i)
    if (schema.text[i] == name) return Found{i, false};
  for (std::size_t i = 0; i < schema.html.size(); ++i)
    if (schema.html[i] == name) return Found{schema.text.size() + i, true};
  return std::nullopt;
}

using Node = Template::Node;

struct Compiler {
  const Schema& schema;
  const Catalog& messages;
  const Template::Includes& includes;

  Error error(std::string_view file, std::size_t line, const std::string& what) const {
    return make_error(0, std::string(file) + ":" + std::to_string(line) + ": " + what);
  }

  // Parses `source` into `out`; `depth` counts includes.
  Result<void> parse(std::string_view source, std::string_view file, std::size_t depth, std::vector<Node>& out) {
    if (source.size() > kMaxTemplateBytes)
      return make_error(0, std::string(file) + ": larger than " + std::to_string(kMaxTemplateBytes) + " bytes");
    if (auto nul = source.find('\0'); nul != std::string_view::npos)
      return error(file, 1 + static_cast<std::size_t>(std::count(source.begin(), source.begin() + static_cast<long>(nul), '\n')),
                   "a NUL byte (a template is text)");
    struct Open {
      std::string name;
      std::size_t line;
      std::vector<Node>* into;
    };
    std::vector<Open> open;
    std::vector<Node>* into = &out;
    std::size_t line = 1;
    std::size_t i = 0;
    while (i < source.size()) {
      const auto start = source.find("{{", i);
      const auto literal = source.substr(i, start == std::string_view::npos ? std::string_view::npos : start - i);
      if (!literal.empty()) {
        if (!into->empty() && into->back().kind == Node::Kind::literal)
          into->back().text += literal;
        else
          into->push_back(Node{Node::Kind::literal, std::string(literal), 0, false, {}});
        line += static_cast<std::size_t>(std::count(literal.begin(), literal.end(), '\n'));
      }
      if (start == std::string_view::npos) break;
      const auto end = source.find("}}", start + 2);
      if (end == std::string_view::npos) return error(file, line, "{{ without }}");
      const std::string_view raw = source.substr(start + 2, end - start - 2);
      const std::size_t tag_line = line;
      line += static_cast<std::size_t>(std::count(raw.begin(), raw.end(), '\n'));
      i = end + 2;
      std::string_view tag = trim(raw);
      if (tag.empty()) return error(file, tag_line, "empty {{}}");
      const char sigil = tag.front();
      if (sigil == '!') continue;
      std::string_view name = tag;
      if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '@' || sigil == '>') name = trim(tag.substr(1));
      const std::string shown = "{{" + excerpt(tag, 48) + "}}";
      if (sigil == '>') {
        if (!include_name_valid(name))
          return error(file, tag_line, "refused include " + shown + ": a file name of this directory only");
        if (depth >= kMaxIncludeDepth)
          return error(file, tag_line, "includes nested deeper than " + std::to_string(kMaxIncludeDepth));
        std::optional<std::string> text = includes ? includes(name) : std::nullopt;
        if (!text) return error(file, tag_line, "no such template to include: " + std::string(name));
        if (auto ok = parse(*text, name, depth + 1, *into); !ok) return ok;
        continue;
      }
      if (sigil == '@') {
        if (name.empty() || !std::all_of(name.begin(), name.end(), key_char))
          return error(file, tag_line, "not a message key: " + shown);
        if (!messages.find(name)) return error(file, tag_line, "unknown message " + shown);
        into->push_back(Node{Node::Kind::message, std::string(name), 0, false, {}});
        continue;
      }
      if (name.empty() || !std::all_of(name.begin(), name.end(), name_char))
        return error(file, tag_line, "not a variable name: " + shown);
      if (sigil == '/') {
        if (open.empty() || open.back().name != name)
          return error(file, tag_line,
                       open.empty() ? shown + " closes nothing" : shown + " where {{/" + open.back().name + "}} was due");
        into = open.back().into;
        open.pop_back();
        continue;
      }
      auto found = find_variable(schema, name);
      if (!found) return error(file, tag_line, "unknown variable " + shown);
      if (sigil == '#' || sigil == '^') {
        if (open.size() >= kMaxSectionDepth)
          return error(file, tag_line, "sections nested deeper than " + std::to_string(kMaxSectionDepth));
        into->push_back(Node{sigil == '#' ? Node::Kind::section : Node::Kind::inverted, std::string(name),
                             found->index, false, {}});
        open.push_back(Open{std::string(name), tag_line, into});
        into = &into->back().children;
        continue;
      }
      into->push_back(Node{Node::Kind::variable, std::string(name), found->index, found->html, {}});
    }
    if (!open.empty()) return error(file, open.back().line, "{{#" + open.back().name + "}} is never closed");
    return {};
  }
};

const std::string& message_text(const Catalog& catalog, const Catalog& fallback, const std::string& key) {
  static const std::string kNone;
  if (const auto* text = catalog.find(key)) return *text;
  if (const auto* text = fallback.find(key)) return *text;
  return kNone;
}

struct Renderer {
  const Catalog& catalog;
  const Catalog& fallback;
  const Schema& schema;
  Values values;

  std::string_view value(std::size_t index) const {
    return index < values.size() ? values[index] : std::string_view();
  }

  void render(const std::vector<Node>& nodes, BufferWriter& out) const {
    for (const auto& n : nodes) {
      switch (n.kind) {
        case Node::Kind::literal: out.put(n.text); break;
        case Node::Kind::variable:
          if (n.html)
            out.put(value(n.index));
          else
            html_escape_into(out, value(n.index));
          break;
        case Node::Kind::message: put_message(out, message_text(catalog, fallback, n.text), schema, values); break;
        case Node::Kind::section:
          if (!value(n.index).empty()) render(n.children, out);
          break;
        case Node::Kind::inverted:
          if (value(n.index).empty()) render(n.children, out);
          break;
      }
    }
  }
};

}  // namespace

bool include_name_valid(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) { return name_char(c) || c == '.' || c == '-'; });
}

bool language_tag_valid(std::string_view tag) {
  std::size_t i = 0;
  std::size_t part = 0;
  bool first = true;
  while (i <= tag.size()) {
    if (i == tag.size() || tag[i] == '-') {
      if (part == 0 || part > 8 || (first && part < 2)) return false;
      first = false;
      part = 0;
      if (i == tag.size()) break;
    } else {
      const char c = tag[i];
      const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
      const bool digit = c >= '0' && c <= '9';
      if (!letter && !(digit && !first)) return false;
      ++part;
    }
    ++i;
  }
  return !tag.empty();
}

Result<Catalog> parse_catalog(std::string_view text, std::string_view tag, std::string_view file_name) {
  Catalog catalog;
  if (!language_tag_valid(tag)) return make_error(0, std::string(file_name) + ": not a language tag: " + excerpt(tag));
  for (char c : tag) catalog.tag.push_back(lower(c));
  if (text.size() > kMaxTemplateBytes)
    return make_error(0, std::string(file_name) + ": larger than " + std::to_string(kMaxTemplateBytes) + " bytes");
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const auto eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.empty() || line.front() == '#') continue;
    const auto where = std::string(file_name) + ":" + std::to_string(line_number) + ": ";
    const auto eq = line.find('=');
    if (eq == std::string_view::npos) return make_error(0, where + "expected `key = text`");
    const auto key = trim(line.substr(0, eq));
    const auto value = trim(line.substr(eq + 1));
    if (key.empty() || !std::all_of(key.begin(), key.end(), key_char))
      return make_error(0, where + "not a message key: " + excerpt(key));
    for (unsigned char c : value)
      if (c < 0x20 && c != '\t') return make_error(0, where + "a control character in the text");
    std::string unescaped;
    for (std::size_t k = 0; k < value.size(); ++k) {
      if (value[k] == '\\' && k + 1 < value.size() && value[k + 1] == 'n') {
        unescaped += '\n';
        ++k;
      } else {
        unescaped += value[k];
      }
    }
    if (!catalog.messages.emplace(std::string(key), std::move(unescaped)).second)
      return make_error(0, where + "key given twice: " + std::string(key));
  }
  return catalog;
}

Result<Template> Template::compile(std::string_view source, std::string_view file_name, const Schema& schema,
                                   const Catalog& messages, const Includes& includes) {
  auto nodes = std::make_shared<std::vector<Node>>();
  Compiler compiler{schema, messages, includes};
  if (auto ok = compiler.parse(source, file_name, 0, *nodes); !ok) return ok.error();
  return Template(std::move(nodes), std::make_shared<const Schema>(schema));
}

std::string Template::render(const Catalog& catalog, const Catalog& fallback, Values values) const {
  const Renderer r{catalog, fallback, *schema_, values};
  BufferWriter measure({});
  r.render(*nodes_, measure);
  std::string out(measure.size(), '\0');
  BufferWriter w(out);
  r.render(*nodes_, w);
  return out;
}

Template::Flat Template::flatten(const Catalog& catalog, const Catalog& fallback, Values values,
                                 std::span<const std::string_view> dynamic) const {
  // Each dynamic variable gets a marker value no template text can hold
  // (NUL bytes around its number), rendered like any value, then cut out.
  std::vector<std::string> markers;
  std::vector<std::string> clean;  // the values without NUL bytes, which would pass for markers
  for (auto v : values) {
    clean.emplace_back(v);
    std::erase(clean.back(), '\0');
  }
  std::vector<std::string_view> with_markers(clean.begin(), clean.end());
  with_markers.resize(schema_->text.size() + schema_->html.size());
  for (std::size_t d = 0; d < dynamic.size(); ++d) markers.push_back(std::string("\0", 1) + std::to_string(d) + std::string("\0", 1));
  for (std::size_t d = 0; d < dynamic.size(); ++d)
    if (auto found = find_variable(*schema_, dynamic[d])) with_markers[found->index] = markers[d];
  // Escaping leaves NUL bytes and digits alone, so the markers survive it.
  std::string text = render(catalog, fallback, with_markers);
  Flat flat;
  std::size_t i = 0;
  while (i < text.size()) {
    auto nul = text.find('\0', i);
    auto close = nul == std::string::npos ? std::string::npos : text.find('\0', nul + 1);
    if (close == std::string::npos) {
      flat.segments.push_back({text.substr(i), -1});
      break;
    }
    if (nul > i) flat.segments.push_back({text.substr(i, nul - i), -1});
    // Only a marker's digits can be there (the texts hold no NUL, the values
    // lost theirs), and from_chars cannot throw: a router build has no
    // exceptions.
    int marker = -1;
    std::from_chars(text.data() + nul + 1, text.data() + close, marker);
    flat.segments.push_back({{}, marker});
    i = close + 1;
  }
  return flat;
}

void put_message(BufferWriter& out, std::string_view text, const Schema& schema, Values values) {
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '{') {
      const auto close = text.find('}', i + 1);
      if (close != std::string_view::npos) {
        const auto name = text.substr(i + 1, close - i - 1);
        if (auto found = find_variable(schema, name); found && !found->html) {
          html_escape_into(out, found->index < values.size() ? values[found->index] : std::string_view());
          i = close + 1;
          continue;
        }
      }
    }
    html_escape_into(out, text.substr(i, 1));
    ++i;
  }
}

std::size_t pick_language(std::string_view header, std::span<const std::string_view> available) {
  std::size_t best = 0;
  int best_q = -1;  // in thousandths
  while (!header.empty()) {
    const auto comma = header.find(',');
    std::string_view item = trim(header.substr(0, comma));
    header.remove_prefix(comma == std::string_view::npos ? header.size() : comma + 1);
    // language-range [ OWS ";" OWS "q=" qvalue ] (RFC 9110 §12.4.2, §12.5.4)
    const auto semi = item.find(';');
    std::string_view range = trim(item.substr(0, semi));
    int q = 1000;
    if (semi != std::string_view::npos) {
      std::string_view param = trim(item.substr(semi + 1));
      if (param.size() < 3 || lower(param[0]) != 'q' || param[1] != '=') continue;
      param.remove_prefix(2);
      // qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )
      if (param.empty() || (param[0] != '0' && param[0] != '1')) continue;
      int value = (param[0] - '0') * 1000;
      int scale = 100;
      bool ok = true;
      if (param.size() > 1) {
        if (param[1] != '.' || param.size() > 5) ok = false;
        for (std::size_t k = 2; ok && k < param.size(); ++k, scale /= 10) {
          if (param[k] < '0' || param[k] > '9') ok = false;
          else value += (param[k] - '0') * scale;
        }
      }
      if (!ok || value > 1000) continue;
      q = value;
    }
    if (q == 0 || range.empty() || range.size() > 35) continue;
    // An earlier range of the same q stays first (the order of the header).
    if (q <= best_q) continue;
    // The tag that serves this range most closely: the same tag, else one
    // that it is a prefix of or that is a prefix of it at a '-'.
    std::optional<std::size_t> serving;
    std::size_t closest = 0;
    for (std::size_t t = 0; t < available.size(); ++t) {
      const std::string_view tag = available[t];
      std::size_t closeness = 0;
      if (range == "*") {
        closeness = t == 0 ? 1 : 0;
      } else {
        const std::size_t n = std::min(range.size(), tag.size());
        bool prefix = true;
        for (std::size_t k = 0; k < n && prefix; ++k) prefix = lower(range[k]) == tag[k];
        if (!prefix) continue;
        if (range.size() == tag.size())
          closeness = 3;
        else if ((range.size() > tag.size() && range[tag.size()] == '-') ||
                 (tag.size() > range.size() && tag[range.size()] == '-'))
          closeness = 2;
      }
      if (closeness > closest) {
        closest = closeness;
        serving = t;
      }
    }
    if (!serving) continue;
    best = *serving;
    best_q = q;
  }
  return best;
}

}  // namespace captive::http
