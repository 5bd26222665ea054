// pykv-cli: placeholder entry point while the client is assembled; replaced below.
int main() {
  return 0;
}
