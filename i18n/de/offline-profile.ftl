# German UI messages of offline-profile. Missing messages fall back to English one at a time.

## The badge: where the profile on screen stands

badge-loading = Wird geladen …
badge-empty = Noch kein Profil
badge-cached = Zwischengespeichert
badge-saved-locally = Lokal gespeichert
badge-syncing = Wird synchronisiert …
badge-synced = Synchronisiert
# $ago: how long ago, as ago-* below says it ("vor 2 Min.").
badge-synced-ago = Synchronisiert { $ago }
badge-offline = Offline
badge-offline-retrying = Offline · neuer Versuch in { $seconds } s
badge-working-offline = Offline-Modus
badge-conflict = Konflikt
badge-error = Fehler
badge-signed-out = Abgemeldet

# The badge's tooltip.
explain-loading = Das Profil wird von diesem Computer gelesen.
explain-empty = Weder auf diesem Computer noch auf dem Server gibt es bisher ein Profil. Geben Sie einen Namen ein und speichern Sie.
explain-cached = Angezeigt wird die auf diesem Computer gespeicherte Kopie; der Server hat sie noch nicht bestätigt.
explain-saved-locally = Ihre Änderung ist auf diesem Computer gespeichert und wird an den Server gesendet.
explain-syncing = Änderungen werden mit dem Server ausgetauscht.
explain-synced = Dieser Computer und der Server haben dasselbe Profil.
explain-offline = Der Server ist nicht erreichbar. Ihre Änderungen sind auf diesem Computer sicher und werden gesendet, sobald er wieder erreichbar ist.
explain-working-offline = »Offline arbeiten« ist eingeschaltet: Nichts wird gesendet, bis Sie es ausschalten.
explain-conflict = Das Profil wurde hier und an anderer Stelle geändert. Wählen Sie, welche Version behalten werden soll.
explain-error = Die letzte Synchronisierung ist fehlgeschlagen: { $reason }
explain-signed-out = Der Server akzeptiert diesen Computer nicht mehr ({ $reason }). Ihre Änderungen bleiben hier und werden gesendet, sobald Sie sich erneut anmelden.
photos-wait = Das Foto wartet auf ein Netzwerk ohne Volumenbegrenzung; »Jetzt synchronisieren« sendet es trotzdem (`offline-profile metered --photos send` erlaubt Fotos auch über getaktete Verbindungen).

## How long ago

ago-just-now = gerade eben
ago-under-a-minute = vor weniger als einer Minute
ago-minutes = vor { $minutes } Min.
ago-hours = vor { $hours } Std.
ago-yesterday = gestern
ago-days =
    { $days ->
        [one] vor { $days } Tag
       *[other] vor { $days } Tagen
    }

## The window's title

title-loading = Wird geladen
title-empty = Kein Profil
title-syncing = Synchronisierung
# $state: one of the badge's words.
title-named = { $name } — { $state } — Profil
title-unnamed = { $state } — Profil
title-opening = Wird geöffnet — Profil
title-signing-out = Abmelden — Profil
title-welcome = Willkommen — Profil
title-sign-in = Anmelden — Profil
title-error = Fehler — Profil

## The profile form

profile-heading = Profil
dismiss = Schließen
save = Speichern
saving = Wird gespeichert …
unsaved-changes = ● Ungespeicherte Änderungen
pending-note = Auf diesem Computer gespeichert, noch nicht auf dem Server
name-label = Name
name-placeholder = Ihr Name
photo-url-label = Foto-URL (optional, ein Bild im Web)
sync-now = Jetzt synchronisieren
work-offline = Offline arbeiten
try-again = Erneut versuchen
empty-detail = Nichts auf diesem Computer, und der Server hat keines gesendet.
# $outcome: last-attempt-succeeded, or what went wrong.
last-attempt = Letzter Synchronisierungsversuch { $ago }: { $outcome }
last-attempt-succeeded = erfolgreich
action-not-saved = Nicht gespeichert: { $error }
action-sync-failed = Synchronisierung fehlgeschlagen: { $error }
action-not-resolved = Nicht gelöst: { $error }
storage-full = Der Datenträger mit { $folder } ist voll: Ihre Änderung wurde nicht gespeichert.
storage-read-only = Der Datenträger mit { $folder } nimmt keine Änderungen an (er ist schreibgeschützt): Ihre Änderung wurde nicht gespeichert.
storage-still-shows = Das Profil zeigt weiterhin „{ $name }“.
storage-full-fix = Schaffen Sie dort Platz und speichern Sie dann erneut.
storage-read-only-fix = Machen Sie ihn beschreibbar (oder wählen Sie mit --data-dir einen anderen Datenordner) und speichern Sie dann erneut.
read-failed = Das Profil konnte nicht gelesen werden: { $error }

## The photo

change-photo = Foto ändern …
remove-photo = Foto entfernen
saving-photo = Foto wird gespeichert …
photo-downloading = ↓ Wird heruntergeladen …
photo-unavailable = Nicht auf dem Server
photo-tip = Klicken Sie, um ein Foto von diesem Computer auszuwählen, oder ziehen Sie ein Bild hierher
photo-cannot-be-shown = Das Foto kann nicht angezeigt werden: { $reason }
photo-not-downloaded-offline = noch nicht heruntergeladen (offline)
photo-not-saved = Das Foto wurde nicht gespeichert: { $error }
photo-not-removed = Das Foto wurde nicht entfernt: { $error }
photo-unreadable = Das Foto konnte nicht gelesen werden: { $error }
photo-file-unreadable = { $file } kann nicht gelesen werden: { $reason }
photo-file-refused = { $file } kann nicht als Foto verwendet werden: { $error }
photo-dialog-title = Foto auswählen
photo-dialog-filter = Bilder
no-photo = kein Foto

## A conflict

conflict-question = Hier und an anderer Stelle geändert: Welcher Wert soll bleiben?
conflict-yours = Ihrer: { $value }
conflict-theirs = Anderer: { $value }
keep-mine = Meinen behalten
use-theirs = Anderen nehmen
field-name = Name
field-photo-url = Foto-URL
field-photo = Foto

## A failure in plain words: what happened, then what happens to the change

failure-unreachable = Der Server { $host } antwortet nicht ({ $cause }).
failure-timed-out = Der Server { $host } hat nicht rechtzeitig geantwortet.
failure-untrusted = Der Server { $host } hat ein Zertifikat vorgelegt, dem dieser Computer nicht vertraut ({ $detail }), daher wurde nichts gesendet. Prüfen Sie die Adresse oder fragen Sie die Person, die den Server betreibt.
failure-signed-out = Der Server { $host } akzeptiert diesen Computer nicht mehr; melden Sie sich erneut an.
failure-server-failed = Beim Server { $host } ist ein Problem aufgetreten ({ $status }: { $reason }).
failure-refused = Der Server { $host } hat die Änderung abgelehnt: { $reason }.
failure-server-other = Beim Server { $host } ist etwas schiefgelaufen: { $words }.
cause-refused = Verbindung abgelehnt
cause-reset = Verbindung zurückgesetzt
cause-timed-out = Zeitüberschreitung
cause-host-unreachable = Rechner nicht erreichbar
cause-network-unreachable = Netzwerk nicht erreichbar
cause-network-down = Netzwerk nicht verfügbar
cause-closed = die Verbindung wurde geschlossen
change-sent-when-back = Ihre Änderung ist hier gespeichert und wird gesendet, sobald er wieder erreichbar ist.
change-kept = Ihre Änderung ist hier gespeichert.

## Opening, welcome and signing in

opening = Ihr Profil wird geöffnet …
signing-out = Abmeldung läuft …
cannot-open = Das Profil kann nicht geöffnet werden
no-display =
    es gibt keine Anzeige, auf der das Fenster geöffnet werden kann: weder WAYLAND_DISPLAY noch DISPLAY ist gesetzt (etwa über SSH).
    Verwenden Sie stattdessen die Befehlszeile: `offline-profile show`, `set`, `sync`, `watch` (`offline-profile --help` listet sie auf), oder starten Sie die App aus einer Desktop-Sitzung.
    Unter X11 benötigt das Fenster libxkbcommon-x11-0, libxcursor1 und libxi6 (Debian, Ubuntu) oder libxkbcommon-x11, libXcursor und libXi (Fedora).
window-libraries-missing =
    das Fenster kann sich nicht öffnen: Dem System fehlt eine nutzbare { $libraries }, die es für die Anzeige braucht.
    Installieren Sie: `sudo apt install { $debian }` (Debian, Ubuntu) oder `sudo dnf install { $fedora }` (Fedora).
    Bis dahin funktioniert die Befehlszeile: `offline-profile show`, `set`, `sync`, `watch` (`offline-profile --help` listet sie auf).
welcome = Willkommen
welcome-detail = Behalten Sie Ihr Profil nur auf diesem Computer, oder melden Sie sich am Server Ihres Teams an, um es auf all Ihren Geräten zu nutzen. So oder so funktioniert es ohne Netzwerk.
use-this-computer-only = Nur auf diesem Computer
sign-in-to-a-server = An einem Server anmelden
welcome-keys = Mit Tab oder den Pfeiltasten auswählen, mit Eingabe bestätigen.
server-label = Server
email-label = E-Mail
password-label = Passwort
sign-in = Anmelden
signing-in = Anmeldung läuft …
back = Zurück
enter-server = Geben Sie die Adresse des Servers ein.
enter-email = Geben Sie Ihre E-Mail-Adresse ein.
not-an-email = Dies ist keine E-Mail-Adresse.
enter-password = Geben Sie Ihr Passwort ein.
wrong-credentials = E-Mail-Adresse oder Passwort ist falsch.
# $wait: wait-seconds or wait-minutes.
too-many-attempts = Zu viele Versuche. Versuchen Sie es in { $wait } erneut.
wait-seconds =
    { $seconds ->
        [one] { $seconds } Sekunde
       *[other] { $seconds } Sekunden
    }
wait-minutes =
    { $minutes ->
        [one] { $minutes } Minute
       *[other] { $minutes } Minuten
    }
sign-in-unreachable = Der Server ist nicht erreichbar ({ $cause }).
not-a-profile-server = Diese Adresse hat nicht wie ein Profilserver geantwortet ({ $error }).
sign-in-refused = Der Server hat abgelehnt: { $reason }
signed-in-but = Angemeldet, aber { $error }
not-https = Kein https: Verwenden Sie https://, damit Ihr Passwort verschlüsselt übertragen wird (http:// ist nur für diesen Computer erlaubt).
not-a-server-address = Dies ist keine Serveradresse: { $reason }.
sign-in-again-reason = Der Server akzeptiert diesen Computer nicht mehr ({ $reason }). Melden Sie sich erneut an; Ihre Änderungen bleiben erhalten und werden danach gesendet.

## The account

bar-local = Nur auf diesem Computer
bar-sign-in = An einem Server anmelden …
bar-signed-out = { $email } auf { $host } — abgemeldet
bar-signed-in = Angemeldet als { $email } auf { $host }
bar-given-token = Mit { $host } über ein vorgegebenes Token verbunden
sign-in-again = Erneut anmelden
devices = Geräte
sign-out = Abmelden
cancel = Abbrechen
devices-intro = Computer, die als { $email } auf { $host } angemeldet sind. Wird einer abgemeldet, synchronisiert er sofort nicht mehr; seine Änderungen bleiben auf ihm, bis sich dort wieder jemand anmeldet.
device-this-added = Dieser Computer · hinzugefügt am { $date }
device-added = Hinzugefügt am { $date }
device-sign-out-failed = Das Gerät konnte nicht abgemeldet werden: { $error }
# A day: $day, $month (1 to 12) and $year are numbers.
date =
    { $day }. { $month ->
        [1] Jan.
        [2] Feb.
        [3] März
        [4] Apr.
        [5] Mai
        [6] Juni
        [7] Juli
        [8] Aug.
        [9] Sept.
        [10] Okt.
        [11] Nov.
       *[12] Dez.
    } { $year }
sign-out-question = Von { $email } abmelden?
sign-out-unsynced = Ihre letzte Änderung hat den Server noch nicht erreicht. Wenn Sie sich jetzt abmelden, wird sie von diesem Computer gelöscht.
sign-out-discard = Abmelden und verwerfen
sign-out-keyring = Dieser Computer synchronisiert nicht mehr mit { $host }. Sein Schlüssel wird aus dem Systemschlüsselbund entfernt.
sign-out-key-file = Dieser Computer synchronisiert nicht mehr mit { $host }. Seine Schlüsseldatei wird gelöscht.
sign-out-delete-data = Auch das Profil dieses Kontos von diesem Computer entfernen

## Background sync

background-question = Ihre Änderung ist auf diesem Computer gespeichert, hat den Server aber nicht erreicht. Im Hintergrund weiter senden?
background-heading = Bevor das Fenster schließt
background-detail = Das System startet einen kurzen Auftrag, wenn etwas zu senden ist, und alle 15 Minuten, um die Änderungen Ihrer anderen Geräte abzurufen; dazwischen läuft nichts von uns. Sie können dies später im Fenster oder mit `offline-profile background` ändern.
background-failed = Die Hintergrundsynchronisierung konnte nicht eingeschaltet werden: { $error }
background-turning-on = Wird eingeschaltet …
background-yes = Ja, weiter senden
background-not-now = Nicht jetzt
background-setting = Änderungen auch bei geschlossenem Fenster senden

## Notifications

notify-conflict = Ihr Profil wurde an zwei Stellen geändert
notify-conflict-body = Ihre Bearbeitung und eine andernorts vorgenommene unterscheiden sich. Öffnen Sie „Profil“, um zu wählen, welche bleibt; Ihre Bearbeitung ist bis dahin hier gespeichert.
notify-signed-out = Dieser Computer wurde abgemeldet
notify-signed-out-body = Der Server akzeptiert diesen Computer nicht mehr. Öffnen Sie „Profil“, um sich erneut anzumelden; Ihre Bearbeitungen bleiben bis dahin hier.
notify-open = Profil öffnen

## The command line (its JSON output is not translated)

state-synced = synchronisiert
state-pending = ausstehend
state-conflict = Konflikt
state-empty = leer
cli-label-name = Name
cli-label-photo-url = Foto-URL
cli-label-photo = Foto
cli-label-state = Status
cli-label-updated-at = geändert am
cli-label-synced-at = synchronisiert am
cli-label-conflict = Konflikt
cli-label-last-sync = letzte Synchronisierung
cli-label-account = Konto
cli-none = (keine)
cli-never = nie
cli-no-profile = (kein Profil)
cli-photo-downloading = { $photo } (wird heruntergeladen)
cli-photo-not-uploaded = { $photo } (noch nicht auf dem Server)
cli-state-no-profile = { $state } (noch kein Profil auf diesem Computer)
# $fields: the fields' names; $theirs: the server's values.
cli-conflict = { $fields } (Server hat: { $theirs })
cli-account-server = { $email } auf { $server } (Token in { $place })
cli-account-token = --token auf { $server }
cli-account-none = keines (nicht an { $server } angemeldet)
cli-account-local = nur dieser Computer
cli-saved-locally = lokal gespeichert (Revision { $revision })
cli-pushed = an den Server übertragen
cli-not-pushed-conflict = nicht übertragen: Konflikt mit der Kopie des Servers; führen Sie `offline-profile resolve` aus
cli-not-pushed-empty = nicht übertragen: nichts zu übertragen
cli-not-pushed-pending = noch nicht übertragen: das Profil hat sich ständig geändert
cli-not-pushed-held = noch nicht übertragen: das Foto wartet auf ein Netzwerk ohne Volumenbegrenzung; `offline-profile sync` sendet es jetzt (`offline-profile metered --photos send` erlaubt Fotos auch über getaktete Verbindungen)
# $words: the failure in plain words.
cli-not-pushed-error = noch nicht übertragen: { $words }
cli-send-by-anything = Es wird von `offline-profile sync` gesendet, oder von einem laufenden Fenster oder `watch`.
cli-send-by-sync-again = Führen Sie `offline-profile sync` erneut aus, oder lassen Sie ein Fenster oder `watch` laufen.
cli-send-by-login = Melden Sie sich erneut an (`offline-profile login`), dann wird es gesendet.
cli-nothing-changed = Hier wurde nichts geändert.
cli-details = Details: { $error }
# $profile: the name, then the photo URL in <>.
cli-synced = synchronisiert: { $profile }
cli-sync-conflict = Konflikt: das Profil wurde hier und auf dem Server geändert; führen Sie `offline-profile resolve --keep-mine` oder `--use-theirs` aus
cli-sync-empty = weder hier noch auf dem Server gibt es bisher ein Profil; erstellen Sie eines mit `set --name`
cli-sync-held = das Foto der Bearbeitung wartet auf ein Netzwerk ohne Volumenbegrenzung
cli-sync-pending = das Profil hat sich während der Synchronisierung geändert und ist noch nicht synchronisiert; synchronisieren Sie erneut
cli-resolved = lokal gelöst
cli-nothing-to-set = nichts zu setzen: geben Sie --name, --photo-url, --photo FILE oder --no-photo an
cli-photo-unreadable = das Foto konnte nicht gelesen werden: { $error }
cli-cache-recovered = das lokale Profil war beschädigt; es wurde als { $aside } beiseitegelegt und ein neues wurde angelegt (führen Sie `offline-profile sync` aus, um es vom Server abzurufen)
cli-password-prompt = Passwort für { $email } auf { $server }:{" "}
cli-password-cannot-ask = Passwort kann nicht abgefragt werden ({ $error }); übergeben Sie es per Pipe mit --password-stdin
cli-password-empty = das Passwort ist leer
cli-signed-in = angemeldet als { $email } auf { $server } (Gerät { $device }); das Token liegt in { $place }
cli-whoami-none = nicht angemeldet; die App wurde auf diesem Computer noch nicht eingerichtet
cli-whoami-local = nur dieser Computer (kein Konto)
cli-whoami-server = { $email } auf { $server } (Gerät { $device }; Token in { $place })
cli-logout-not-signed-in = an keinem Server angemeldet (das Profil dieses Computers erfordert keine Abmeldung)
cli-logout-unsynced = Ihre letzte Änderung hat { $server } noch nicht erreicht; führen Sie zuerst `offline-profile sync` aus, oder `offline-profile logout --force`, um sich abzumelden und sie zu verwerfen
cli-logout-not-told = der Server wurde nicht benachrichtigt ({ $error }); dieses Gerät bleibt in der Geräteliste des Kontos, bis es dort abgemeldet wird
cli-signed-out-deleted = abgemeldet von { $email } auf { $server }; das Token wurde aus { $place } entfernt; die Daten dieses Kontos auf diesem Computer wurden gelöscht
cli-signed-out-kept = abgemeldet von { $email } auf { $server }; das Token wurde aus { $place } entfernt; das Profil dieses Kontos bleibt für eine erneute Anmeldung auf diesem Computer
cli-devices-not-signed-in = an keinem Server angemeldet: Geräte gehören zu einem Konto (`offline-profile login`)
cli-server-did-not-answer = der Server hat nicht geantwortet: { $error }
cli-no-such-device = kein Gerät { $id } in diesem Konto (`offline-profile devices` listet sie auf)
cli-device-is-this-one = das ist dieser Computer: verwenden Sie `offline-profile logout`
cli-device-signed-out = { $name } ({ $id }) abgemeldet
cli-device-line = angemeldet { $at }
cli-device-this = (dieser Computer)
cli-metered-send = Fotos über getaktete Verbindungen: werden gesendet und abgerufen
cli-metered-wait = Fotos über getaktete Verbindungen: warten auf ein Netzwerk ohne Volumenbegrenzung (eine angeforderte Synchronisierung sendet sie)
cli-background-run = Hintergrundsynchronisierung: { $outcome } — { $message }
cli-background-on =
    Hintergrundsynchronisierung ist eingeschaltet ({ $how }): ein kurzer Auftrag läuft, wenn eine Änderung nicht gesendet wurde, und { $minutes ->
        [one] jede Minute
       *[other] alle { $minutes } Minuten
    }, um Änderungen anderer Geräte abzurufen
cli-background-off = Hintergrundsynchronisierung ist ausgeschaltet
cli-removed-file = { $file } entfernt
cli-label-background = Hintergrundsynchronisierung
cli-label-photos = Fotos
cli-label-waiting = wartend
cli-label-last-run = letzter Lauf
cli-background-state-on-how =
    ein ({ $how }, { $minutes ->
        [one] jede Minute
       *[other] alle { $minutes } Minuten
    }; Auftrag { $job })
cli-background-state-on = ein
cli-background-state-off = aus
cli-background-state-never = aus (nie eingeschaltet)
cli-background-photos-send = auch über getaktete Verbindungen gesendet und abgerufen
cli-background-photos-wait = warten auf eine Verbindung ohne Volumenbegrenzung (außer Sie fordern eine Synchronisierung an)
cli-background-waiting-edit = eine Bearbeitung hat den Server nicht erreicht
cli-background-waiting-nothing = nichts
cli-background-last-run = { $at } — { $outcome }: { $message } ({ $seconds } s)
