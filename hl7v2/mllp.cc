#include "hl7v2/mllp.h"

#include <algorithm>
#include <cstring>

namespace fcpgw::hl7v2 {

void mllp_frame(std::string& out, std::string_view message) {
  out.reserve(out.size() + message.size() + 3);
  out.push_back(mllp_start);
  out.append(message);
  out.push_back(mllp_end);
  out.push_back(mllp_cr);
}

std::string mllp_frame(std::string_view message) {
  std::string out;
  mllp_frame(out, message);
  return out;
}

MllpDecoder::MllpDecoder(std::size_t max_frame_bytes) : max_(max_frame_bytes) {}

void MllpDecoder::reset() noexcept {
  state_ = State::idle;
  current_.clear();
  events_.clear();
}

std::optional<MllpEvent> MllpDecoder::next() {
  if (events_.empty()) return std::nullopt;
  MllpEvent e = std::move(events_.front());
  events_.pop_front();
  return e;
}

std::size_t MllpDecoder::feed(std::string_view chunk) {
  const std::size_t before = events_.size();
  const std::size_t n = chunk.size();
  std::size_t i = 0;
  while (i < n) {
    switch (state_) {
      case State::idle: {
        const void* p = std::memchr(chunk.data() + i, mllp_start, n - i);
        if (p == nullptr) {
          garbage_ += n - i;
          i = n;
          break;
        }
        const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(p) - chunk.data());
        garbage_ += at - i;
        i = at + 1;
        current_.clear();
        state_ = State::in_frame;
        break;
      }
      case State::in_frame: {
        std::size_t j = i;
        while (j < n && chunk[j] != mllp_end && chunk[j] != mllp_start) ++j;
        const std::size_t len = j - i;
        if (current_.size() + len > max_) {
          MllpEvent e;
          e.kind = MllpEvent::Kind::oversize;
          e.size = current_.size() + len;
          const std::size_t head = std::min(mllp_oversize_head, max_);
          e.payload.assign(current_, 0, std::min(head, current_.size()));
          if (e.payload.size() < head) {
            e.payload.append(chunk.data() + i, std::min(head - e.payload.size(), len));
          }
          events_.push_back(std::move(e));
          ++oversize_;
          current_.clear();
          current_.shrink_to_fit();
          state_ = State::discarding;  // resynchronise at the next SB (may be chunk[j])
          i = j;
          break;
        }
        current_.append(chunk.data() + i, len);
        if (j == n) {
          i = n;
          break;
        }
        if (chunk[j] == mllp_end) {
          MllpEvent e;
          e.kind = MllpEvent::Kind::frame;
          e.size = current_.size();
          e.payload = std::move(current_);
          current_ = std::string();
          events_.push_back(std::move(e));
          ++frames_;
          state_ = State::after_end;
        } else {  // SB inside a frame: the earlier frame was cut short
          MllpEvent e;
          e.kind = MllpEvent::Kind::truncated;
          e.size = current_.size();
          events_.push_back(std::move(e));
          ++truncated_;
          current_.clear();
        }
        i = j + 1;
        break;
      }
      case State::after_end:
        if (chunk[i] == mllp_cr) {
          ++i;
        } else {
          ++missing_cr_;
        }
        state_ = State::idle;
        break;
      case State::discarding: {
        const void* p = std::memchr(chunk.data() + i, mllp_start, n - i);
        if (p == nullptr) {
          i = n;
          break;
        }
        i = static_cast<std::size_t>(static_cast<const char*>(p) - chunk.data()) + 1;
        current_.clear();
        state_ = State::in_frame;
        break;
      }
    }
  }
  return events_.size() - before;
}

}  // namespace fcpgw::hl7v2
