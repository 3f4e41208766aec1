// Reactions: UUIDv5 ids, the context that stamps what handlers append, and the consumer that runs them.
#include "evlite/projections/reaction.h"

#include <openssl/evp.h>

#include <array>

#include <fmt/format.h>

#include "consumer.h"
#include "evlite/engine/sqlite_access.h"

namespace evlite::projections {
namespace {

// The namespace of evlite's reaction ids (a fixed, random UUID).
constexpr std::string_view kReactionNamespace = "6f0c5e2a-8d3b-4c1e-9a4f-2b7d8e6c1a90";

std::array<unsigned char, 16> uuid_bytes(std::string_view text) {
  std::array<unsigned char, 16> bytes{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size() && n < 32; ++i) {
    char c = text[i];
    if (c == '-') continue;
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (v < 0) break;
    bytes[n / 2] = static_cast<unsigned char>(bytes[n / 2] | (n % 2 == 0 ? v << 4 : v));
    ++n;
  }
  if (n != 32 || text.size() != 36) throw InvalidArgument(fmt::format("\"{}\" is not a UUID", text));
  return bytes;
}

std::string checkpoint_name(std::string_view reaction) { return fmt::format("reaction:{}", reaction); }

}  // namespace

std::string uuid_v5(std::string_view namespace_id, std::string_view name) {
  auto ns = uuid_bytes(namespace_id);
  std::string input(reinterpret_cast<const char*>(ns.data()), ns.size());
  input += name;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
    throw Error("uuid_v5: SHA-1 failed in libcrypto");
  }
  digest[6] = static_cast<unsigned char>((digest[6] & 0x0f) | 0x50);  // version 5
  digest[8] = static_cast<unsigned char>((digest[8] & 0x3f) | 0x80);  // RFC 9562 variant
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", digest[i]);
  }
  return out;
}

ReactionContext::ReactionContext(std::string reaction, const RecordedEvent& cause)
    : reaction_(std::move(reaction)), cause_(cause), correlation_(correlation_id(cause)) {}

std::string ReactionContext::id_for(std::size_t call, std::size_t index) const {
  return uuid_v5(kReactionNamespace, fmt::format("{}/{}/{}.{}", reaction_, cause_.id, call, index));
}

aggregates::CommandContext ReactionContext::command() {
  std::size_t call = calls_++;
  return {.correlation_id = correlation_,
          .causation_id = cause_.id,
          .event_id = [this, call](std::size_t index) { return id_for(call, index); }};
}

void ReactionContext::stamp(std::vector<NewEvent>& events) {
  std::size_t call = calls_++;
  for (std::size_t i = 0; i < events.size(); ++i) {
    events[i].id = id_for(call, i);
    events[i].correlation_id = correlation_;
    events[i].causation_id = cause_.id;
  }
}

namespace detail {
namespace {

// A reaction as a consumer: batches of events handed to the handler, the checkpoint moved after each.
class ReactionWorker : public Consumer {
 public:
  ReactionWorker(const EventStore& store, std::shared_ptr<Reaction> reaction, const RunnerOptions& options)
      : Consumer(store, reaction->name()), reaction_(std::move(reaction)), options_(options),
        checkpoint_name_(checkpoint_name(name_)), filter_(reaction_->filter()) {}

  Outcome step() override {
    if (!db_) db_ = open_connection(store_);
    take_restart();  // a reaction's fault is kept in memory only: nothing more to clear
    if (faulted()) return Outcome::Faulted;
    Position checkpoint = checkpoints::load(*db_, checkpoint_name_);
    Position head = store_.head_position();
    if (head <= checkpoint) {
      batches_.release();
      publish(ProjectionState::CaughtUp, checkpoint);
      return Outcome::CaughtUp;
    }
    const auto& events = batches_.read(store_, checkpoint, options_.batch_size, filter_);
    Position target = reached(events, checkpoint, head, options_.batch_size);
    for (const RecordedEvent& event : events) {
      try {
        ReactionContext context(name_, event);
        reaction_->handle(event, context);
      } catch (...) {
        std::string error = current_exception_text();
        Position handled{event.position.value - 1};
        move_checkpoint(checkpoint, handled);  // what was handled stays handled
        change_status([&](ProjectionStatus& status) {
          status.state = ProjectionState::Faulted;
          status.checkpoint = std::max(status.checkpoint, handled);
          status.error = error;
          status.error_position = event.position;
        });
        return Outcome::Faulted;
      }
    }
    move_checkpoint(checkpoint, target);
    publish(target >= store_.head_position() ? ProjectionState::CaughtUp : ProjectionState::Running, target);
    return Outcome::Progressed;
  }

 private:
  // Another runner of the same reaction may have moved it further; then its position stands.
  void move_checkpoint(Position from, Position to) {
    if (to <= from) return;
    write_transaction(store_, *db_, [&] { checkpoints::advance(*db_, checkpoint_name_, from, to); });
  }

  void publish(ProjectionState state, Position checkpoint) {
    Position stored = checkpoints::load(*db_, checkpoint_name_);
    change_status([&](ProjectionStatus& status) {
      status.state = state;
      status.checkpoint = std::max(checkpoint, stored);
    });
  }

  const std::shared_ptr<Reaction> reaction_;
  const RunnerOptions options_;
  const std::string checkpoint_name_;
  const Filter filter_;
  std::unique_ptr<SQLite::Database> db_;  // used only by the stepping thread
  BatchReader batches_;                   // likewise
};

}  // namespace
}  // namespace detail

struct ReactionRunner::Impl {
  Impl(const EventStore& s, RunnerOptions o) : store(s), options(std::move(o)), pool(s) {}
  const EventStore& store;
  const RunnerOptions options;
  detail::WorkerPool pool;
};

ReactionRunner::ReactionRunner(const EventStore& store, RunnerOptions options)
    : impl_(std::make_unique<Impl>(store, std::move(options))) {}
ReactionRunner::~ReactionRunner() { stop(); }

void ReactionRunner::add(std::shared_ptr<Reaction> reaction) {
  impl_->pool.add(std::make_unique<detail::ReactionWorker>(impl_->store, std::move(reaction), impl_->options));
}
void ReactionRunner::start() { impl_->pool.start(); }
void ReactionRunner::stop() { impl_->pool.stop(); }
void ReactionRunner::run_until_caught_up() { impl_->pool.run_until_caught_up(); }
void ReactionRunner::restart(std::string_view name) { impl_->pool.restart(name); }
bool ReactionRunner::wait_for(std::string_view name, Position position, std::chrono::milliseconds timeout) const {
  return impl_->pool.find(name).wait_for(position, timeout);
}
std::vector<ProjectionStatus> ReactionRunner::status() const { return impl_->pool.status(); }

}  // namespace evlite::projections
