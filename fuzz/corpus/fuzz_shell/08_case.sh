case "$RUNNER_OS" in
  Linux|macOS) ./build.sh ;;
  (Windows) ./build.ps1 ;&
  *) echo unknown ;;
esac
