#include "hash_chain.h"

#include <memory>

#include <openssl/evp.h>

#include "evlite/engine/errors.h"

namespace evlite::detail {
namespace {

void put_integer(std::string& out, std::int64_t value) {
  char bytes[8];  // little-endian, whatever the machine's order
  for (int i = 0; i < 8; ++i) bytes[i] = static_cast<char>(static_cast<std::uint64_t>(value) >> (8 * i));
  out.append(bytes, sizeof bytes);
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
  // Fetched once and a context reused: with EVP_sha256() OpenSSL 3 looks the implementation up again for
  // every digest, 0.64 µs against 0.38 µs for an event's 560 bytes here (EVP_Digest does both each time).
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                                     &EVP_MD_CTX_free);
  ChainHash hash{};
  unsigned int length = 0;
  if (sha256 == nullptr || context == nullptr || EVP_DigestInit_ex2(context.get(), sha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), input.data(), input.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), hash.data(), &length) != 1) {
    throw StorageError(0, "SHA-256 failed in libcrypto");
  }
  return hash;
}

}  // namespace evlite::detail
