#pragma once
// A one-item mailbox where a newer request replaces an older one that was not taken yet. Drags
// and sliders post here at frame rate; the compute worker only ever computes the latest.
#include <mutex>
#include <optional>
#include <utility>

namespace latentlab {

template <class T>
class NewestWins {
 public:
  // Returns true when it replaced a request nobody had taken (that one is dropped).
  bool put(T value) {
    std::lock_guard<std::mutex> lock(m_mutex);
    const bool replaced = m_value.has_value();
    m_value = std::move(value);
    ++m_posted;
    if (replaced) ++m_dropped;
    return replaced;
  }
  std::optional<T> take() {
    std::lock_guard<std::mutex> lock(m_mutex);
    std::optional<T> out = std::move(m_value);
    m_value.reset();
    return out;
  }
  bool pending() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_value.has_value();
  }
  unsigned long posted() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_posted;
  }
  unsigned long dropped() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_dropped;
  }

 private:
  mutable std::mutex m_mutex;
  std::optional<T> m_value;
  unsigned long m_posted = 0, m_dropped = 0;
};

}  // namespace latentlab
