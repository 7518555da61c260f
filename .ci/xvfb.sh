# Sourced by the window tests: `start_xvfb` starts a virtual X server on a free display, sets
# `display` to it and adds its pid to the caller's `pids` (which the caller's cleanup ends), and
# sets `xvfb` to that pid. The screen is 1024x768 unless XVFB_SCREEN says (WIDTHxHEIGHTxDEPTH).
start_xvfb() {
  # A free display whose Xvfb really answers (another may take a display between our check and
  # its start): try the next one otherwise. `-noreset`: by default an X server resets when its
  # last client leaves, and a client connecting during that reset is refused (XOpenDisplayFailed)
  # — which happened here when the next window started right after the previous one closed.
  display=""
  for n in $(seq 150 199); do
    [ ! -e "/tmp/.X11-unix/X$n" ] && [ ! -e "/tmp/.X$n-lock" ] || continue
    Xvfb ":$n" -screen 0 "${XVFB_SCREEN:-1024x768x24}" -nolisten tcp -noreset >/dev/null 2>&1 &
    xvfb=$!
    for _ in $(seq 1 100); do
      DISPLAY=":$n" xdotool getmouselocation >/dev/null 2>&1 && { display=":$n"; break; }
      kill -0 "$xvfb" 2>/dev/null || break
      sleep 0.1
    done
    if [ -n "$display" ]; then pids+=("$xvfb"); break; fi
    kill "$xvfb" 2>/dev/null || true
  done
  [ -n "$display" ] || { echo "${0##*/}: no X display could be started" >&2; exit 1; }
}
