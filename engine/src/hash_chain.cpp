#include "hash_chain.h"

#include <openssl/evp.h>

#include "evlite/engine/errors.h"

namespace evlite::detail {
namespace {

void put_integer(std::string& out, std::int64_t value) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>(static_cast<std::uint64_t>(value) >> (8 * i));
}

void put_text(std::string& out, std::string_view text) {
  put_integer(out, static_cast<std::int64_t>(text.size()));
  out += text;
}

}  // namespace

ChainHash chain_hash(const ChainHash& previous, const EventFields& e) {
  thread_local std::string input;  // reused: no allocation per event once it has grown
  input.clear();
  input.append(reinterpret_cast<const char*>(previous.data()), previous.size());
  put_integer(input, e.position.value);
  put_text(input, e.stream_id);
  put_integer(input, e.version.value);
  put_text(input, e.id);
  put_text(input, e.type);
  put_integer(input, e.schema_version);
  put_text(input, e.data);
  put_text(input, e.metadata);
  put_integer(input, e.recorded_at.time_since_epoch().count());
  ChainHash hash{};
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), hash.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw StorageError(0, "SHA-256 failed in libcrypto");
  }
  return hash;
}

}  // namespace evlite::detail
