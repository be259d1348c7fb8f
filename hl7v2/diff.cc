#include "hl7v2/diff.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <utility>

#include "hl7v2/base/utf8.h"

namespace fcpgw::hl7v2 {

namespace {

// Concatenation by appending: GCC 12 at -O3 reports a false -Wrestrict for
// `"literal" + std::string&&`.
std::string cat(std::initializer_list<std::string_view> parts) {
  std::string s;
  for (auto p : parts) s.append(p);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  if (s.empty()) return out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t i = s.find(sep, start);
    if (i == std::string_view::npos) {
      out.push_back(s.substr(start));
      return out;
    }
    out.push_back(s.substr(start, i - start));
    start = i + 1;
  }
}

std::string_view at(const std::vector<std::string_view>& v, std::size_t i) {
  return i < v.size() ? v[i] : std::string_view{};
}

// Items of two lists in order, paired so that the total score(i, j) is highest (a weighted
// longest common subsequence; a score of 0 never pairs): {i, j} pairs, {i, -} only in the
// expected list, {-, j} only in the other. Very long lists are paired by position.
using Pairing = std::vector<std::pair<std::optional<std::size_t>, std::optional<std::size_t>>>;
template <class Score>
Pairing align(std::size_t n, std::size_t m, Score&& score_of) {
  Pairing out;
  constexpr std::size_t kMaxCells = 1u << 18;
  if (n * m > kMaxCells) {
    for (std::size_t k = 0; k < std::max(n, m); ++k)
      out.emplace_back(k < n ? std::optional(k) : std::nullopt,
                       k < m ? std::optional(k) : std::nullopt);
    return out;
  }
  std::vector<int> score(n * m), best((n + 1) * (m + 1), 0);
  const auto at = [m](std::size_t i, std::size_t j) { return i * (m + 1) + j; };
  for (std::size_t i = n; i-- > 0;)
    for (std::size_t j = m; j-- > 0;) {
      score[i * m + j] = score_of(i, j);
      int b = std::max(best[at(i + 1, j)], best[at(i, j + 1)]);
      if (score[i * m + j] > 0) b = std::max(b, score[i * m + j] + best[at(i + 1, j + 1)]);
      best[at(i, j)] = b;
    }
  std::size_t i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && score[i * m + j] > 0 &&
        best[at(i, j)] == score[i * m + j] + best[at(i + 1, j + 1)]) {
      out.emplace_back(i++, j++);
    } else if (i < n && (j == m || best[at(i, j)] == best[at(i + 1, j)])) {
      out.emplace_back(i++, std::nullopt);
    } else {
      out.emplace_back(std::nullopt, j++);
    }
  }
  return out;
}

// 3 the same text, 2 at least half of the parts (split by `sep`, the first `skip` parts left
// out) the same and not empty, 1 otherwise.
int text_score(std::string_view a, std::string_view b, char sep_a, char sep_b,
               std::size_t skip = 0) {
  if (a == b) return 3;
  const auto pa = split(a, sep_a);
  const auto pb = split(b, sep_b);
  std::size_t same = 0;
  for (std::size_t k = skip; k < std::min(pa.size(), pb.size()); ++k)
    same += !pa[k].empty() && pa[k] == pb[k];
  const std::size_t most = std::max(pa.size(), pb.size());
  return same > 0 && 2 * same >= (most > skip ? most - skip : 0) ? 2 : 1;
}

std::string shorten(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  s.resize(base::utf8_cut(s, max));
  s += "...";
  return s;
}

// A value for display: the text with escapes decoded, unless the two sides differ only in
// how they escape it (then the raw ER7 shows the difference).
void show(std::string_view raw_e, const Delimiters& de, std::string_view raw_g,
          const Delimiters& dg, std::string& e, std::string& g) {
  e = unescape(raw_e, de);
  g = unescape(raw_g, dg);
  if (e == g) {
    e.assign(raw_e);
    g.assign(raw_g);
  }
}

struct SegRef {
  Segment seg;
  std::size_t occurrence = 1;
  bool matched = false;
};

std::vector<SegRef> index(const Message& m) {
  std::vector<SegRef> out;
  for (std::size_t i = 1; i <= m.segment_count(); ++i) {
    const Segment s = m.segment(i);
    std::size_t occ = 1;
    for (const auto& r : out) occ += r.seg.id() == s.id();
    out.push_back({s, occ, false});
  }
  return out;
}

std::string label(const SegRef& r) {
  std::string s(r.seg.id());
  if (r.occurrence > 1) s += cat({"[", std::to_string(r.occurrence), "]"});
  return s;
}

class Differ {
 public:
  Differ(const Message& e, const Message& g, const DiffOptions& o, std::vector<Difference>& out)
      : e_(e), g_(g), opt_(o), out_(out), de_(e.delimiters()), dg_(g.delimiters()) {}

  void run() {
    auto es = index(e_);
    auto gs = index(g_);
    // Segments pair up in order, of the same id only, the most alike first; a segment moved
    // past others is paired afterwards with the first unpaired one of its id (and the order
    // is reported).
    const Pairing pairs = align(es.size(), gs.size(), [&](std::size_t i, std::size_t j) {
      if (es[i].seg.id() != gs[j].seg.id()) return 0;
      // The id and the set id (renumbered when a segment is inserted) say nothing.
      return text_score(es[i].seg.raw(), gs[j].seg.raw(), de_.field, dg_.field, 2);
    });
    std::vector<std::optional<std::size_t>> partner(es.size());
    for (const auto& [i, j] : pairs)
      if (i && j) {
        partner[*i] = *j;
        gs[*j].matched = true;
      }
    for (std::size_t i = 0; i < es.size(); ++i) {
      if (partner[i]) continue;
      for (std::size_t j = 0; j < gs.size(); ++j)
        if (!gs[j].matched && gs[j].seg.id() == es[i].seg.id()) {
          partner[i] = j;
          gs[j].matched = true;
          break;
        }
    }
    for (std::size_t i = 0; i < es.size(); ++i) {
      if (full()) return;
      if (!partner[i]) {
        add(Difference::Kind::missing, label(es[i]), quoted(es[i].seg.raw()), {});
        continue;
      }
      es[i].matched = true;
      segment(es[i].seg, gs[*partner[i]]);
    }
    for (const auto& gr : gs) {
      if (full()) return;
      if (!gr.matched) add(Difference::Kind::added, label(gr), {}, quoted(gr.seg.raw()));
    }
    std::string ids_e, ids_g;
    auto add_id = [](std::string& ids, const SegRef& r) {
      if (!r.matched) return;
      if (!ids.empty()) ids.push_back(' ');
      ids.append(r.seg.id());
    };
    for (const auto& r : es) add_id(ids_e, r);
    for (const auto& r : gs) add_id(ids_g, r);
    if (ids_e != ids_g && !full()) add(Difference::Kind::order, {}, ids_e, ids_g);
  }

 private:
  bool full() const { return out_.size() >= opt_.max_differences; }

  std::string quoted(std::string_view raw) const {
    return cat({"\"", shorten(std::string(raw), opt_.max_value_chars), "\""});
  }

  void add(Difference::Kind k, std::string loc, std::string e, std::string g) {
    if (full()) return;
    out_.push_back(Difference{k, std::move(loc), std::move(e), std::move(g)});
  }

  void changed(std::string loc, std::string_view raw_e, std::string_view raw_g) {
    std::string e, g;
    show(raw_e, de_, raw_g, dg_, e, g);
    add(Difference::Kind::changed, std::move(loc), quoted(e), quoted(g));
  }

  // Field by field; locations name the segment as it occurs in `got`.
  void segment(const Segment& e, const SegRef& gr) {
    const Segment& g = gr.seg;
    const std::string seg = label(gr);
    const bool msh = e.id() == "MSH";
    const std::size_t n = std::max(e.field_count(), g.field_count());
    for (std::size_t f = 1; f <= n && !full(); ++f) {
      const std::string_view fe = e.field(f);
      const std::string_view fg = g.field(f);
      if (fe == fg) continue;
      const std::string floc = seg + "-" + std::to_string(f);
      if (msh && f <= 2) {  // the separator and the encoding characters: compared whole
        changed(floc, fe, fg);
        continue;
      }
      const auto re = split(fe, de_.repetition);
      const auto rg = split(fg, dg_.repetition);
      const Pairing reps = align(re.size(), rg.size(), [&](std::size_t i, std::size_t j) {
        return text_score(re[i], rg[j], de_.component, dg_.component);
      });
      for (const auto& [i, j] : reps) {
        if (full()) return;
        const std::string rloc = floc + "[" + std::to_string((j ? *j : *i) + 1) + "]";
        if (!j) {
          add(Difference::Kind::missing, rloc, quoted(unescape(re[*i], de_)), {});
        } else if (!i) {
          add(Difference::Kind::added, rloc, {}, quoted(unescape(rg[*j], dg_)));
        } else if (re[*i] != rg[*j]) {
          components(rloc, re[*i], rg[*j]);
        }
      }
    }
  }

  void components(const std::string& loc, std::string_view e, std::string_view g) {
    const auto ce = split(e, de_.component);
    const auto cg = split(g, dg_.component);
    if (ce.size() <= 1 && cg.size() <= 1) {
      subcomponents(loc, e, g);
      return;
    }
    for (std::size_t c = 0; c < std::max(ce.size(), cg.size()) && !full(); ++c) {
      const std::string_view a = at(ce, c);
      const std::string_view b = at(cg, c);
      if (a == b) continue;
      subcomponents(loc + "." + std::to_string(c + 1), a, b);
    }
  }

  void subcomponents(const std::string& loc, std::string_view e, std::string_view g) {
    const auto se = split(e, de_.subcomponent);
    const auto sg = split(g, dg_.subcomponent);
    if (se.size() <= 1 && sg.size() <= 1) {
      changed(loc, e, g);
      return;
    }
    for (std::size_t s = 0; s < std::max(se.size(), sg.size()) && !full(); ++s) {
      const std::string_view a = at(se, s);
      const std::string_view b = at(sg, s);
      if (a != b) changed(loc + "." + std::to_string(s + 1), a, b);
    }
  }

  const Message& e_;
  const Message& g_;
  const DiffOptions& opt_;
  std::vector<Difference>& out_;
  const Delimiters& de_;
  const Delimiters& dg_;
};

}  // namespace

std::vector<Difference> diff(const Message& expected, const Message& got,
                             const DiffOptions& options) {
  std::vector<Difference> out;
  if (options.max_differences == 0) return out;
  Differ(expected, got, options, out).run();
  return out;
}

std::string to_string(const Difference& d) {
  switch (d.kind) {
    case Difference::Kind::added:
      return cat({"+ ", d.location, ": ", d.got});
    case Difference::Kind::missing:
      return cat({"- ", d.location, ": ", d.expected});
    case Difference::Kind::order:
      return cat({"segment order: expected ", d.expected, ", got ", d.got});
    case Difference::Kind::changed:
      break;
  }
  return cat({d.location, ": expected ", d.expected, ", got ", d.got});
}

}  // namespace fcpgw::hl7v2
