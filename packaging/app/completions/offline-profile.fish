# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_offline_profile_global_optspecs
    string join \n data-dir= api= token= read-strategy= write-strategy= sync-interval= token-file= offline token-store= h/help V/version
end

function __fish_offline_profile_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_offline_profile_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_offline_profile_using_subcommand
    set -l cmd (__fish_offline_profile_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c offline-profile -n "__fish_offline_profile_needs_command" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_needs_command" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_needs_command" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_needs_command" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_needs_command" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_needs_command" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_needs_command" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_needs_command" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_needs_command" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -s V -l version -d 'Print version'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "show" -d 'Print the cached profile and its state (no network)'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "set" -d 'Validate and save locally, then try one push'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "sync" -d 'One full sync; succeeds only when the profile is synchronized afterwards'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "metered" -d 'Whether photos go on a metered connection (mobile data, a hotspot): `send`, or `wait` for an unmetered one (the default; a sync you ask for sends them anyway, and the profile\'s text always goes). Without --photos, says the setting'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "background" -d 'Whether changes are sent while the app is closed: enable, disable, status'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "status" -d 'Like show, plus the last sync attempt and its outcome'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "watch" -d 'Run the synchronizer without a window and print each change'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "resolve" -d 'Settle a conflict'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "login" -d 'Sign in to the server named with --api as a new device of your account'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "logout" -d 'Sign this computer out of the server and forget its token'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "devices" -d 'The account\'s signed-in devices, as the window\'s Devices page lists them; with `--sign-out ID`, signs that device out (its token is refused from then on)'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "whoami" -d 'Who is signed in, to which server, and where the token is kept'
complete -c offline-profile -n "__fish_offline_profile_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l json
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand show" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l name -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l photo-url -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l photo -d 'A picture on this computer (PNG or JPEG) to be the photo: made upright, square and at most 512 pixels, and sent without its metadata; the file itself is not changed' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l no-photo -d 'Remove the photo'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand set" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l give-up-after -d 'With --background: how long to keep trying, in seconds' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l background -d 'Run as the background job: step aside while a window or `watch` syncs this data folder, never twice at once, and keep trying to send a waiting edit (on the quiet schedule, at once when a network comes up) until it is sent or --give-up-after'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand sync" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l photos -r -f -a "send\t''
wait\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand metered" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -f -a "enable" -d 'Send edits and fetch other devices\' changes while the app is closed (systemd user units, Task Scheduler or a LaunchAgent start a short job when there is work)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -f -a "disable" -d 'Stop sending in the background and remove the job\'s files'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -f -a "status" -d 'Whether background sync is on, how it runs, and its last run'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and not __fish_seen_subcommand_from enable disable status help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l every -d 'Minutes between fetches of other devices\' changes' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from enable" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from disable" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l json
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from help" -f -a "enable" -d 'Send edits and fetch other devices\' changes while the app is closed (systemd user units, Task Scheduler or a LaunchAgent start a short job when there is work)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from help" -f -a "disable" -d 'Stop sending in the background and remove the job\'s files'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from help" -f -a "status" -d 'Whether background sync is on, how it runs, and its last run'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand background; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l json
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand status" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l json
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand watch" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l keep-mine
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l use-theirs
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand resolve" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l email -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l password-stdin -d 'Read the password from standard input (its first line) instead of asking for it'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand login" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l force -d 'Sign out even though an edit has not reached the server (it is discarded)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l delete-data -d 'Also delete this account\'s profile from this computer'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand logout" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l sign-out -d 'A device\'s id (from the list) to sign out. For this computer, use `logout`' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l json -d 'The list as JSON: `[{"id", "name", "created_at", "current"}]`'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand devices" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l data-dir -d 'Where the local cache (and the embedded server\'s data) is kept' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l api -d 'The profile server\'s base URL. Without it, a server is started inside the app' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l token -d 'The bearer token for --api' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l read-strategy -d 'How the profile is read' -r -f -a "stream\t''
fallback\t''
local\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l write-strategy -d 'How edits are written' -r -f -a "offline-first\t''
online-only\t''"
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l sync-interval -d 'Seconds between periodic syncs' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l token-file -d 'Read the bearer token for --api from this file (its first line) instead of --token' -r -F
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l token-store -d 'Where `login` keeps the token: the system keyring when one answers, else a private file (auto); or always one of them' -r
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l json
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -l offline -d 'Work offline: send no request at all'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand whoami" -s h -l help -d 'Print help'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "show" -d 'Print the cached profile and its state (no network)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "set" -d 'Validate and save locally, then try one push'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "sync" -d 'One full sync; succeeds only when the profile is synchronized afterwards'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "metered" -d 'Whether photos go on a metered connection (mobile data, a hotspot): `send`, or `wait` for an unmetered one (the default; a sync you ask for sends them anyway, and the profile\'s text always goes). Without --photos, says the setting'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "background" -d 'Whether changes are sent while the app is closed: enable, disable, status'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "status" -d 'Like show, plus the last sync attempt and its outcome'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "watch" -d 'Run the synchronizer without a window and print each change'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "resolve" -d 'Settle a conflict'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "login" -d 'Sign in to the server named with --api as a new device of your account'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "logout" -d 'Sign this computer out of the server and forget its token'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "devices" -d 'The account\'s signed-in devices, as the window\'s Devices page lists them; with `--sign-out ID`, signs that device out (its token is refused from then on)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "whoami" -d 'Who is signed in, to which server, and where the token is kept'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and not __fish_seen_subcommand_from show set sync metered background status watch resolve login logout devices whoami help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and __fish_seen_subcommand_from background" -f -a "enable" -d 'Send edits and fetch other devices\' changes while the app is closed (systemd user units, Task Scheduler or a LaunchAgent start a short job when there is work)'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and __fish_seen_subcommand_from background" -f -a "disable" -d 'Stop sending in the background and remove the job\'s files'
complete -c offline-profile -n "__fish_offline_profile_using_subcommand help; and __fish_seen_subcommand_from background" -f -a "status" -d 'Whether background sync is on, how it runs, and its last run'
