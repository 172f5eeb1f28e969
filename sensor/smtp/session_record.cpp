// Names of the session record's enums (sensor/smtp/session_record.hpp).
#include "sensor/smtp/session_record.hpp"

namespace botwarden::smtp {

const char* to_string(Path p) {
  switch (p) {
    case Path::relay: return "relay";
    case Path::submission: return "submission";
    case Path::direct: return "direct";
  }
  return "direct";
}

}  // namespace botwarden::smtp
