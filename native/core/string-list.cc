#include "string-list.h"

namespace canfork::core {

StringList::StringList(std::vector<char> block) : block_(std::move(block)) {
  if (!block_.empty() && block_.back() != '\0') block_.push_back('\0');
  Index();
}

StringList::StringList(std::initializer_list<std::string> entries) : StringList(std::vector<std::string>(entries)) {}

StringList::StringList(const std::vector<std::string>& entries) {
  for (const std::string& entry : entries) block_.insert(block_.end(), entry.c_str(), entry.c_str() + entry.size() + 1);
  Index();
}

void StringList::Index() {
  pointers_.clear();
  size_t start = 0;
  for (size_t i = 0; i < block_.size(); i++) {
    if (block_[i] != '\0') continue;
    pointers_.push_back(block_.data() + start);
    start = i + 1;
  }
  pointers_.push_back(nullptr);
}

}  // namespace canfork::core
