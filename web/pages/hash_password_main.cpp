// botwarden-hash-password: reads a password from standard input (one line)
// and prints its argon2id hash for [[pages.users]] password_hash.
// Exit codes: 0 printed; 1 empty input or hashing failed; 2 bad command line.
#include <iostream>
#include <string>

#include "web/pages/security.hpp"

int main(int argc, char** argv) {
  if (argc > 1) {
    const std::string arg = argv[1];
    std::cerr << (arg == "--help" || arg == "-h" ? "" : "botwarden-hash-password: unexpected argument " + arg + "\n")
              << "usage: botwarden-hash-password < password-file\n"
                 "Reads one line (the password) from standard input and prints its argon2id hash\n"
                 "(libsodium crypto_pwhash_str) for password_hash in [[pages.users]].\n"
                 "Exit codes: 0 printed; 1 empty password or hashing failed; 2 bad command line.\n";
    return arg == "--help" || arg == "-h" ? 0 : 2;
  }
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) {
    std::cerr << "botwarden-hash-password: empty password on standard input\n";
    return 1;
  }
  try {
    std::cout << botwarden::web::hash_password(password) << "\n";
  } catch (const std::exception& e) {
    std::cerr << "botwarden-hash-password: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
