# Every word the window and the command line show a person. English is complete: the code is
# checked against this file when it compiles, and every other language falls back to it one
# message at a time. A test keeps every language's file holding the same messages with the
# same variables. JSON output and log lines are not here: they stay English.

## The badge: where the profile on screen stands

badge-loading = Loading…
badge-empty = No profile yet
badge-cached = Cached
badge-saved-locally = Saved locally
badge-syncing = Syncing…
badge-synced = Synced
# $ago: how long ago, as ago-* below says it ("2 min ago").
badge-synced-ago = Synced { $ago }
badge-offline = Offline
badge-offline-retrying = Offline · retrying in { $seconds } s
badge-working-offline = Working offline
badge-conflict = Conflict
badge-error = Error
badge-signed-out = Signed out

# The badge's tooltip.
explain-loading = Reading the profile from this computer.
explain-empty = There is no profile on this computer or on the server yet. Enter a name and save.
explain-cached = Showing the copy kept on this computer; the server has not confirmed it yet.
explain-saved-locally = Your change is saved on this computer and will be sent to the server.
explain-syncing = Sending and fetching changes with the server.
explain-synced = This computer and the server hold the same profile.
explain-offline = The server cannot be reached. Your changes are safe on this computer and are sent as soon as it is back.
explain-working-offline = Work offline is on: nothing is sent until you turn it off.
explain-conflict = The profile was changed here and elsewhere. Choose which version to keep.
explain-error = The last sync failed: { $reason }
explain-signed-out = The server no longer accepts this computer ({ $reason }). Your changes are kept here and sent once you sign in again.
photos-wait = The photo waits for a network that is not metered; Sync now sends it anyway (`offline-profile metered --photos send` lets photos go on metered connections).

## How long ago

ago-just-now = just now
ago-under-a-minute = less than a minute ago
ago-minutes = { $minutes } min ago
ago-hours = { $hours } h ago
ago-yesterday = yesterday
ago-days =
    { $days ->
        [one] { $days } day ago
       *[other] { $days } days ago
    }

## The window's title

title-loading = Loading
title-empty = No profile
title-syncing = Syncing
# $state: one of the badge's words.
title-named = { $name } — { $state } — Profile
title-unnamed = { $state } — Profile
title-opening = Opening — Profile
title-signing-out = Signing out — Profile
title-welcome = Welcome — Profile
title-sign-in = Sign in — Profile
title-error = Error — Profile

## The profile form

profile-heading = Profile
dismiss = Dismiss
save = Save
saving = Saving…
unsaved-changes = ● Unsaved changes
pending-note = Saved on this computer, not yet on the server
name-label = Name
name-placeholder = Your name
photo-url-label = Photo URL (optional, a picture on the web)
sync-now = Sync now
work-offline = Work offline
try-again = Try again
empty-detail = Nothing on this computer, and the server has not sent one.
# $outcome: last-attempt-succeeded, or what went wrong.
last-attempt = Last sync attempt { $ago }: { $outcome }
last-attempt-succeeded = succeeded
action-not-saved = Not saved: { $error }
action-sync-failed = Sync failed: { $error }
action-not-resolved = Not resolved: { $error }
storage-full = The disk holding { $folder } is full: your change was not saved.
storage-read-only = The disk holding { $folder } takes no changes (it is read-only): your change was not saved.
storage-still-shows = The profile still shows “{ $name }”.
storage-full-fix = Free some space on it, then save again.
storage-read-only-fix = Make it writable (or choose another data folder with --data-dir), then save again.
read-failed = Could not read the profile: { $error }

## The photo

change-photo = Change photo…
remove-photo = Remove photo
saving-photo = Saving photo…
photo-downloading = ↓ Downloading…
photo-unavailable = Not on the server
photo-tip = Click to choose a photo from this computer, or drop a picture here
photo-cannot-be-shown = The photo cannot be shown: { $reason }
photo-not-downloaded-offline = not downloaded yet (working offline)
photo-not-saved = The photo was not saved: { $error }
photo-not-removed = The photo was not removed: { $error }
photo-unreadable = The photo could not be read: { $error }
photo-file-unreadable = { $file } cannot be read: { $reason }
photo-file-refused = { $file } cannot be the photo: { $error }
photo-dialog-title = Choose a photo
photo-dialog-filter = Pictures
no-photo = no photo

## A conflict

conflict-question = Changed here and elsewhere: which value should stay?
conflict-yours = Yours: { $value }
conflict-theirs = Theirs: { $value }
keep-mine = Keep mine
use-theirs = Use theirs
field-name = Name
field-photo-url = Photo URL
field-photo = Photo

## A failure in plain words: what happened, then what happens to the change

failure-unreachable = The server at { $host } isn't answering ({ $cause }).
failure-timed-out = The server at { $host } didn't answer in time.
failure-untrusted = The server at { $host } presented a certificate this computer doesn't trust ({ $detail }), so nothing was sent. Check the address, or ask whoever runs the server.
failure-signed-out = The server at { $host } no longer accepts this computer; sign in again.
failure-server-failed = The server at { $host } had a problem ({ $status }: { $reason }).
failure-refused = The server at { $host } refused the change: { $reason }.
failure-server-other = Something went wrong with the server at { $host }: { $words }.
cause-refused = connection refused
cause-reset = connection reset
cause-timed-out = timed out
cause-host-unreachable = host unreachable
cause-network-unreachable = network unreachable
cause-network-down = network down
cause-closed = the connection was closed
change-sent-when-back = Your change is saved here and will be sent when it is back.
change-kept = Your change is saved here.

## Opening, welcome and signing in

opening = Opening your profile…
signing-out = Signing out…
cannot-open = The profile cannot be opened
no-display =
    there is no display to open the window on: neither WAYLAND_DISPLAY nor DISPLAY is set (over SSH, for one).
    Use the command line instead: `offline-profile show`, `set`, `sync`, `watch` (`offline-profile --help` lists them), or start the app from a desktop session.
    Under X11 the window needs libxkbcommon-x11-0, libxcursor1 and libxi6 (Debian, Ubuntu) or libxkbcommon-x11, libXcursor and libXi (Fedora).
window-libraries-missing =
    the window cannot open: the system has no usable { $libraries }, which it needs to reach the display.
    Install them: `sudo apt install { $debian }` (Debian, Ubuntu) or `sudo dnf install { $fedora }` (Fedora).
    Meanwhile the command line works: `offline-profile show`, `set`, `sync`, `watch` (`offline-profile --help` lists them).
welcome = Welcome
welcome-detail = Keep your profile on this computer only, or sign in to your team's server to use it on all your devices. Either way it works without a network.
use-this-computer-only = Use on this computer only
sign-in-to-a-server = Sign in to a server
welcome-keys = Tab or the arrow keys choose, Enter confirms.
server-label = Server
email-label = Email
password-label = Password
sign-in = Sign in
signing-in = Signing in…
back = Back
enter-server = Enter the server's address.
enter-email = Enter your email address.
not-an-email = This is not an email address.
enter-password = Enter your password.
wrong-credentials = The email or the password is wrong.
# $wait: wait-seconds or wait-minutes.
too-many-attempts = Too many attempts. Try again in { $wait }.
wait-seconds =
    { $seconds ->
        [one] { $seconds } second
       *[other] { $seconds } seconds
    }
wait-minutes =
    { $minutes ->
        [one] { $minutes } minute
       *[other] { $minutes } minutes
    }
sign-in-unreachable = The server cannot be reached ({ $cause }).
not-a-profile-server = This address did not answer like a profile server ({ $error }).
sign-in-refused = The server refused: { $reason }
signed-in-but = Signed in, but { $error }
not-https = Not https: use https:// so your password travels encrypted (http:// is allowed only for this computer).
not-a-server-address = This is not a server address: { $reason }.
sign-in-again-reason = The server no longer accepts this computer ({ $reason }). Sign in again; your changes are kept and sent once you are back.

## The account

bar-local = On this computer only
bar-sign-in = Sign in to a server…
bar-signed-out = { $email } at { $host } — signed out
bar-signed-in = Signed in as { $email } at { $host }
bar-given-token = Connected to { $host } with a given token
sign-in-again = Sign in again
devices = Devices
sign-out = Sign out
cancel = Cancel
devices-intro = Computers signed in as { $email } at { $host }. Signing one out stops it syncing at once; its changes stay on it until someone signs in there again.
device-this-added = This computer · added { $date }
device-added = Added { $date }
device-sign-out-failed = Could not sign that device out: { $error }
# A day: $day, $month (1 to 12) and $year are numbers.
date =
    { $day } { $month ->
        [1] Jan
        [2] Feb
        [3] Mar
        [4] Apr
        [5] May
        [6] Jun
        [7] Jul
        [8] Aug
        [9] Sep
        [10] Oct
        [11] Nov
       *[12] Dec
    } { $year }
sign-out-question = Sign out of { $email }?
sign-out-unsynced = Your latest change has not reached the server yet. Signing out now deletes it from this computer.
sign-out-discard = Sign out and discard
sign-out-keyring = This computer stops syncing with { $host }. Its key is removed from the system keyring.
sign-out-key-file = This computer stops syncing with { $host }. Its key file is deleted.
sign-out-delete-data = Also remove this account's profile from this computer

## Background sync

background-question = Your change is saved on this computer but hasn't reached the server. Keep sending it in the background?
background-heading = Before the window closes
background-detail = The system starts a short job when there is something to send, and every 15 minutes to fetch your other devices' changes; nothing of ours runs in between. You can change this later in the window or with `offline-profile background`.
background-failed = Background sync could not be turned on: { $error }
background-turning-on = Turning it on…
background-yes = Yes, keep sending
background-not-now = Not now
background-setting = Keep sending changes while the window is closed

## Notifications

notify-conflict = Your profile was changed in two places
notify-conflict-body = Your edit and one made elsewhere differ. Open Profile to choose which to keep; your edit is saved here meanwhile.
notify-signed-out = This computer was signed out
notify-signed-out-body = The server no longer accepts this computer. Open Profile to sign in again; your edits stay here meanwhile.
notify-open = Open Profile

## The command line (its JSON output is not translated)

state-synced = synced
state-pending = pending
state-conflict = conflict
state-empty = empty
cli-label-name = name
cli-label-photo-url = photo URL
cli-label-photo = photo
cli-label-state = state
cli-label-updated-at = updated at
cli-label-synced-at = synced at
cli-label-conflict = conflict
cli-label-last-sync = last sync
cli-label-account = account
cli-none = (none)
cli-never = never
cli-no-profile = (no profile)
cli-photo-downloading = { $photo } (downloading)
cli-photo-not-uploaded = { $photo } (not yet on the server)
cli-state-no-profile = { $state } (no profile on this computer yet)
# $fields: the fields' names; $theirs: the server's values.
cli-conflict = { $fields } (server has: { $theirs })
cli-account-server = { $email } at { $server } (token in { $place })
cli-account-token = --token at { $server }
cli-account-none = none (not signed in to { $server })
cli-account-local = this computer only
cli-saved-locally = saved locally (revision { $revision })
cli-pushed = pushed to the server
cli-not-pushed-conflict = not pushed: conflict with the server's copy; run `offline-profile resolve`
cli-not-pushed-empty = not pushed: nothing to push
cli-not-pushed-pending = not pushed yet: the profile kept changing
cli-not-pushed-held = not pushed yet: the photo waits for a network that is not metered; `offline-profile sync` sends it now (`offline-profile metered --photos send` lets photos go on metered connections)
# $words: the failure in plain words.
cli-not-pushed-error = not pushed yet: { $words }
cli-send-by-anything = It is sent by `offline-profile sync`, or by a running window or `watch`.
cli-send-by-sync-again = Run `offline-profile sync` again, or leave a window or `watch` running.
cli-send-by-login = Sign in again (`offline-profile login`) and it is sent.
cli-nothing-changed = Nothing here was changed.
cli-details = details: { $error }
# $profile: the name, then the photo URL in <>.
cli-synced = synced: { $profile }
cli-sync-conflict = conflict: the profile was changed here and on the server; run `offline-profile resolve --keep-mine` or `--use-theirs`
cli-sync-empty = there is no profile here or on the server yet; create one with `set --name`
cli-sync-held = the edit's photo waits for an unmetered network
cli-sync-pending = the profile changed during the sync and is not synchronized yet; sync again
cli-resolved = resolved locally
cli-nothing-to-set = nothing to set: give --name, --photo-url, --photo FILE or --no-photo
cli-photo-unreadable = the photo could not be read: { $error }
cli-cache-recovered = the local profile was damaged; it was kept aside as { $aside } and a fresh one was started (run `offline-profile sync` to fetch it from the server)
cli-password-prompt = Password for { $email } at { $server }:{" "}
cli-password-cannot-ask = cannot ask for the password ({ $error }); pipe it in with --password-stdin
cli-password-empty = the password is empty
cli-signed-in = signed in as { $email } at { $server } (device { $device }); the token is kept in { $place }
cli-whoami-none = not signed in; the app has not been set up on this computer yet
cli-whoami-local = using this computer only (no account)
cli-whoami-server = { $email } at { $server } (device { $device }; token in { $place })
cli-logout-not-signed-in = not signed in to a server (this computer's profile needs no signing out)
cli-logout-unsynced = your latest change has not reached { $server } yet; run `offline-profile sync` first, or `offline-profile logout --force` to sign out and discard it
cli-logout-not-told = the server was not told ({ $error }); this device stays in the account's device list until it is signed out there
cli-signed-out-deleted = signed out of { $email } at { $server }; the token was removed from { $place }; this account's data on this computer was deleted
cli-signed-out-kept = signed out of { $email } at { $server }; the token was removed from { $place }; this account's profile stays on this computer for when you sign in again
cli-devices-not-signed-in = not signed in to a server: devices belong to an account (`offline-profile login`)
cli-server-did-not-answer = the server did not answer: { $error }
cli-no-such-device = no device { $id } in this account (`offline-profile devices` lists them)
cli-device-is-this-one = that is this computer: use `offline-profile logout`
cli-device-signed-out = signed out { $name } ({ $id })
cli-device-line = signed in { $at }
cli-device-this = (this computer)
cli-metered-send = photos on a metered connection: sent and fetched
cli-metered-wait = photos on a metered connection: wait for an unmetered network (a sync you ask for sends them)
cli-background-run = background sync: { $outcome } — { $message }
cli-background-on = background sync is on ({ $how }): a short job runs when a change is left unsent, and every { $minutes } minutes to fetch other devices' changes
cli-background-off = background sync is off
cli-removed-file = removed { $file }
cli-label-background = background sync
cli-label-photos = photos
cli-label-waiting = waiting
cli-label-last-run = last run
cli-background-state-on-how = on ({ $how }, every { $minutes } minutes; job { $job })
cli-background-state-on = on
cli-background-state-off = off
cli-background-state-never = off (never turned on)
cli-background-photos-send = sent and fetched on metered connections too
cli-background-photos-wait = wait for an unmetered connection (unless you ask for a sync)
cli-background-waiting-edit = an edit has not reached the server
cli-background-waiting-nothing = nothing
cli-background-last-run = { $at } — { $outcome }: { $message } ({ $seconds } s)
