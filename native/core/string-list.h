// A list of C strings as execve takes them: one block of NUL-terminated entries ("a\0b\0") and the
// NULL-terminated array of pointers into it. JavaScript hands a list over as one such string, so a list
// of any length crosses N-API in one call and one copy, where an array cost calls per entry.
#pragma once

#include <initializer_list>
#include <string>
#include <vector>

namespace canfork::core {

class StringList {
 public:
  StringList() : pointers_{nullptr} {}
  // `block`: every entry followed by its NUL; an empty block is the empty list. Entries are what lies
  // between the NULs, so an entry cannot hold one (native/plan.cc refuses a block without the final NUL;
  // here one is added).
  explicit StringList(std::vector<char> block);
  StringList(std::initializer_list<std::string> entries);
  explicit StringList(const std::vector<std::string>& entries);

  // The pointers point into block_: a move keeps its heap buffer, a copy indexes its own.
  StringList(StringList&&) = default;
  StringList& operator=(StringList&&) = default;
  StringList(const StringList& other) : block_(other.block_) { Index(); }
  StringList& operator=(const StringList& other) {
    if (this != &other) {
      block_ = other.block_;
      Index();
    }
    return *this;
  }

  size_t size() const { return pointers_.size() - 1; }
  bool empty() const { return size() == 0; }
  const char* operator[](size_t index) const { return pointers_[index]; }
  // NULL-terminated, for execve.
  char* const* data() const { return pointers_.data(); }

 private:
  void Index();

  std::vector<char> block_;
  std::vector<char*> pointers_;
};

}  // namespace canfork::core
