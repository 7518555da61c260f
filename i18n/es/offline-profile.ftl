# Every word the window and the command line show a person. English is complete: the code is
# checked against this file when it compiles, and every other language falls back to it one
# message at a time. A test keeps every language's file holding the same messages with the
# same variables. JSON output and log lines are not here: they stay English.

## The badge: where the profile on screen stands

badge-loading = Cargando…
badge-empty = Aún sin perfil
badge-cached = En caché
badge-saved-locally = Guardado localmente
badge-syncing = Sincronizando…
badge-synced = Sincronizado
# $ago: how long ago, as ago-* below says it ("2 min ago").
badge-synced-ago = Sincronizado { $ago }
badge-offline = Sin conexión
badge-offline-retrying = Sin conexión · reintento en { $seconds } s
badge-working-offline = Trabajando sin conexión
badge-conflict = Conflicto
badge-error = Error
badge-signed-out = Sesión cerrada

# The badge's tooltip.
explain-loading = Leyendo el perfil de este equipo.
explain-empty = Aún no hay ningún perfil en este equipo ni en el servidor. Escribe un nombre y guarda.
explain-cached = Se muestra la copia guardada en este equipo; el servidor aún no la ha confirmado.
explain-saved-locally = Tu cambio está guardado en este equipo y se enviará al servidor.
explain-syncing = Enviando y recibiendo cambios con el servidor.
explain-synced = Este equipo y el servidor tienen el mismo perfil.
explain-offline = No se puede contactar con el servidor. Tus cambios están a salvo en este equipo y se enviarán en cuanto vuelva.
explain-working-offline = Trabajar sin conexión está activado: no se envía nada hasta que lo desactives.
explain-conflict = El perfil se cambió aquí y en otro lugar. Elige qué versión conservar.
explain-error = Falló la última sincronización: { $reason }
explain-signed-out = El servidor ya no acepta este equipo ({ $reason }). Tus cambios se conservan aquí y se enviarán cuando vuelvas a iniciar sesión.
photos-wait = La foto espera a una red que no sea de uso medido; Sincronizar ahora la envía de todos modos (`offline-profile metered --photos send` permite enviar fotos en conexiones de uso medido).

## How long ago

ago-just-now = ahora mismo
ago-under-a-minute = hace menos de un minuto
ago-minutes = hace { $minutes } min
ago-hours = hace { $hours } h
ago-yesterday = ayer
ago-days =
    { $days ->
        [one] hace { $days } día
        [many] hace { $days } días
       *[other] hace { $days } días
    }

## The window's title

title-loading = Cargando
title-empty = Sin perfil
title-syncing = Sincronizando
# $state: one of the badge's words.
title-named = { $name } — { $state } — Perfil
title-unnamed = { $state } — Perfil
title-opening = Abriendo — Perfil
title-signing-out = Cerrando sesión — Perfil
title-welcome = Bienvenida — Perfil
title-sign-in = Iniciar sesión — Perfil
title-error = Error — Perfil

## The profile form

profile-heading = Perfil
dismiss = Cerrar
save = Guardar
saving = Guardando…
unsaved-changes = ● Cambios sin guardar
pending-note = Guardado en este equipo, aún no en el servidor
name-label = Nombre
name-placeholder = Tu nombre
photo-url-label = URL de la foto (opcional, una imagen de la web)
sync-now = Sincronizar ahora
work-offline = Trabajar sin conexión
try-again = Reintentar
empty-detail = No hay nada en este equipo y el servidor no ha enviado ningún perfil.
# $outcome: last-attempt-succeeded, or what went wrong.
last-attempt = Último intento de sincronización { $ago }: { $outcome }
last-attempt-succeeded = correcto
action-not-saved = No se guardó: { $error }
action-sync-failed = Falló la sincronización: { $error }
action-not-resolved = No se resolvió: { $error }
storage-full = El disco que contiene { $folder } está lleno: tu cambio no se guardó.
storage-read-only = El disco que contiene { $folder } no admite cambios (es de solo lectura): tu cambio no se guardó.
storage-still-shows = El perfil sigue mostrando «{ $name }».
storage-full-fix = Libera espacio en él y vuelve a guardar.
storage-read-only-fix = Hazlo escribible (o elige otra carpeta de datos con --data-dir) y vuelve a guardar.
read-failed = No se pudo leer el perfil: { $error }

## The photo

change-photo = Cambiar foto…
remove-photo = Quitar foto
saving-photo = Guardando foto…
photo-downloading = ↓ Descargando…
photo-unavailable = No está en el servidor
photo-tip = Haz clic para elegir una foto de este equipo o suelta una imagen aquí
photo-cannot-be-shown = No se puede mostrar la foto: { $reason }
photo-not-downloaded-offline = aún no descargada (trabajando sin conexión)
photo-not-saved = No se guardó la foto: { $error }
photo-not-removed = No se quitó la foto: { $error }
photo-unreadable = No se pudo leer la foto: { $error }
photo-file-unreadable = No se puede leer { $file }: { $reason }
photo-file-refused = { $file } no puede ser la foto: { $error }
photo-dialog-title = Elige una foto
photo-dialog-filter = Imágenes
no-photo = sin foto

## A conflict

conflict-question = Cambiado aquí y en otro lugar: ¿qué valor se queda?
conflict-yours = El tuyo: { $value }
conflict-theirs = El otro: { $value }
keep-mine = Conservar el mío
use-theirs = Usar el otro
field-name = Nombre
field-photo-url = URL de la foto
field-photo = Foto

## A failure in plain words: what happened, then what happens to the change

failure-unreachable = El servidor de { $host } no responde ({ $cause }).
failure-timed-out = El servidor de { $host } no respondió a tiempo.
failure-untrusted = El servidor de { $host } presentó un certificado en el que este equipo no confía ({ $detail }), así que no se envió nada. Comprueba la dirección o pregunta a quien administre el servidor.
failure-signed-out = El servidor de { $host } ya no acepta este equipo; vuelve a iniciar sesión.
failure-server-failed = El servidor de { $host } tuvo un problema ({ $status }: { $reason }).
failure-refused = El servidor de { $host } rechazó el cambio: { $reason }.
failure-server-other = Algo falló con el servidor de { $host }: { $words }.
cause-refused = conexión rechazada
cause-reset = conexión restablecida
cause-timed-out = tiempo de espera agotado
cause-host-unreachable = host inaccesible
cause-network-unreachable = red inaccesible
cause-network-down = red caída
cause-closed = se cerró la conexión
change-sent-when-back = Tu cambio está guardado aquí y se enviará cuando vuelva.
change-kept = Tu cambio está guardado aquí.

## Opening, welcome and signing in

opening = Abriendo tu perfil…
signing-out = Cerrando sesión…
cannot-open = No se puede abrir el perfil
no-display =
    no hay ninguna pantalla en la que abrir la ventana: no están definidas ni WAYLAND_DISPLAY ni DISPLAY (por ejemplo, por SSH).
    Usa la línea de comandos: `offline-profile show`, `set`, `sync`, `watch` (`offline-profile --help` los enumera), o inicia la aplicación desde una sesión de escritorio.
    En X11, la ventana necesita libxkbcommon-x11-0, libxcursor1 y libxi6 (Debian, Ubuntu) o libxkbcommon-x11, libXcursor y libXi (Fedora).
window-libraries-missing =
    la ventana no puede abrirse: el sistema no tiene { $libraries } en buen estado, y la necesita para llegar a la pantalla.
    Instálala: `sudo apt install { $debian }` (Debian, Ubuntu) o `sudo dnf install { $fedora }` (Fedora).
    Mientras tanto funciona la línea de comandos: `offline-profile show`, `set`, `sync`, `watch` (`offline-profile --help` los enumera).
welcome = Te damos la bienvenida
welcome-detail = Guarda tu perfil solo en este equipo o inicia sesión en el servidor de tu organización para usarlo en todos tus dispositivos. En ambos casos funciona sin red.
use-this-computer-only = Usar solo en este equipo
sign-in-to-a-server = Iniciar sesión en un servidor
welcome-keys = Tab o las flechas eligen, Intro confirma.
server-label = Servidor
email-label = Correo electrónico
password-label = Contraseña
sign-in = Iniciar sesión
signing-in = Iniciando sesión…
back = Atrás
enter-server = Escribe la dirección del servidor.
enter-email = Escribe tu dirección de correo electrónico.
not-an-email = Esto no es una dirección de correo electrónico.
enter-password = Escribe tu contraseña.
wrong-credentials = El correo electrónico o la contraseña no son correctos.
# $wait: wait-seconds or wait-minutes.
too-many-attempts = Demasiados intentos. Vuelve a intentarlo en { $wait }.
wait-seconds =
    { $seconds ->
        [one] { $seconds } segundo
        [many] { $seconds } segundos
       *[other] { $seconds } segundos
    }
wait-minutes =
    { $minutes ->
        [one] { $minutes } minuto
        [many] { $minutes } minutos
       *[other] { $minutes } minutos
    }
sign-in-unreachable = No se puede contactar con el servidor ({ $cause }).
not-a-profile-server = Esta dirección no respondió como un servidor de perfiles ({ $error }).
sign-in-refused = El servidor lo rechazó: { $reason }
signed-in-but = Sesión iniciada, pero { $error }
not-https = No es https: usa https:// para que tu contraseña viaje cifrada (http:// solo se permite para este equipo).
not-a-server-address = Esto no es una dirección de servidor: { $reason }.
sign-in-again-reason = El servidor ya no acepta este equipo ({ $reason }). Vuelve a iniciar sesión; tus cambios se conservan y se enviarán cuando vuelvas.

## The account

bar-local = Solo en este equipo
bar-sign-in = Iniciar sesión en un servidor…
bar-signed-out = { $email } en { $host } — sesión cerrada
bar-signed-in = Sesión iniciada como { $email } en { $host }
bar-given-token = Conectado a { $host } con un token proporcionado
sign-in-again = Volver a iniciar sesión
devices = Dispositivos
sign-out = Cerrar sesión
cancel = Cancelar
devices-intro = Equipos con sesión iniciada como { $email } en { $host }. Cerrar la sesión de uno detiene su sincronización al instante; sus cambios se quedan en él hasta que alguien vuelva a iniciar sesión allí.
device-this-added = Este equipo · añadido el { $date }
device-added = Añadido el { $date }
device-sign-out-failed = No se pudo cerrar la sesión de ese dispositivo: { $error }
# A day: $day, $month (1 to 12) and $year are numbers.
date =
    { $day } { $month ->
        [1] ene.
        [2] feb.
        [3] mar.
        [4] abr.
        [5] may.
        [6] jun.
        [7] jul.
        [8] ago.
        [9] sept.
        [10] oct.
        [11] nov.
       *[12] dic.
    } { $year }
sign-out-question = ¿Cerrar la sesión de { $email }?
sign-out-unsynced = Tu último cambio aún no ha llegado al servidor. Si cierras sesión ahora, se eliminará de este equipo.
sign-out-discard = Cerrar sesión y descartar
sign-out-keyring = Este equipo deja de sincronizarse con { $host }. Su clave se elimina del llavero del sistema.
sign-out-key-file = Este equipo deja de sincronizarse con { $host }. Su archivo de clave se elimina.
sign-out-delete-data = Quitar también de este equipo el perfil de esta cuenta

## Background sync

background-question = Tu cambio está guardado en este equipo, pero no ha llegado al servidor. ¿Seguir enviándolo en segundo plano?
background-heading = Antes de cerrar la ventana
background-detail = El sistema inicia una tarea breve cuando hay algo que enviar, y cada 15 minutos para recibir los cambios de tus otros dispositivos; entre medias no se ejecuta nada nuestro. Puedes cambiarlo más tarde en la ventana o con `offline-profile background`.
background-failed = No se pudo activar la sincronización en segundo plano: { $error }
background-turning-on = Activando…
background-yes = Sí, seguir enviando
background-not-now = Ahora no
background-setting = Seguir enviando cambios con la ventana cerrada

## Notifications

notify-conflict = Tu perfil se cambió en dos lugares
notify-conflict-body = Tu edición y otra hecha en otro lugar no coinciden. Abre Perfil para elegir cuál conservar; mientras tanto, tu edición se guarda aquí.
notify-signed-out = Se cerró la sesión de este equipo
notify-signed-out-body = El servidor ya no acepta este equipo. Abre Perfil para volver a iniciar sesión; mientras tanto, tus ediciones se quedan aquí.
notify-open = Abrir Perfil

## The command line (its JSON output is not translated)

state-synced = sincronizado
state-pending = pendiente
state-conflict = conflicto
state-empty = vacío
cli-label-name = nombre
cli-label-photo-url = URL de la foto
cli-label-photo = foto
cli-label-state = estado
cli-label-updated-at = actualizado
cli-label-synced-at = sincronizado
cli-label-conflict = conflicto
cli-label-last-sync = última sincronización
cli-label-account = cuenta
cli-none = (ninguno)
cli-never = nunca
cli-no-profile = (sin perfil)
cli-photo-downloading = { $photo } (descargando)
cli-photo-not-uploaded = { $photo } (aún no está en el servidor)
cli-state-no-profile = { $state } (aún no hay perfil en este equipo)
# $fields: the fields' names; $theirs: the server's values.
cli-conflict = { $fields } (el servidor tiene: { $theirs })
cli-account-server = { $email } en { $server } (token en { $place })
cli-account-token = --token en { $server }
cli-account-none = ninguna (sin sesión iniciada en { $server })
cli-account-local = solo este equipo
cli-saved-locally = guardado localmente (revisión { $revision })
cli-pushed = enviado al servidor
cli-not-pushed-conflict = no enviado: hay un conflicto con la copia del servidor; ejecuta `offline-profile resolve`
cli-not-pushed-empty = no enviado: no hay nada que enviar
cli-not-pushed-pending = aún no enviado: el perfil seguía cambiando
cli-not-pushed-held = aún no enviado: la foto espera a una red que no sea de uso medido; `offline-profile sync` la envía ahora (`offline-profile metered --photos send` permite enviar fotos en conexiones de uso medido)
# $words: the failure in plain words.
cli-not-pushed-error = aún no enviado: { $words }
cli-send-by-anything = Lo envía `offline-profile sync`, o una ventana abierta o `watch` en ejecución.
cli-send-by-sync-again = Vuelve a ejecutar `offline-profile sync`, o deja una ventana o `watch` en ejecución.
cli-send-by-login = Vuelve a iniciar sesión (`offline-profile login`) y se enviará.
cli-nothing-changed = No se cambió nada aquí.
cli-details = detalles: { $error }
# $profile: the name, then the photo URL in <>.
cli-synced = sincronizado: { $profile }
cli-sync-conflict = conflicto: el perfil se cambió aquí y en el servidor; ejecuta `offline-profile resolve --keep-mine` o `--use-theirs`
cli-sync-empty = aún no hay ningún perfil aquí ni en el servidor; crea uno con `set --name`
cli-sync-held = la foto de la edición espera a una red que no sea de uso medido
cli-sync-pending = el perfil cambió durante la sincronización y aún no está sincronizado; vuelve a sincronizar
cli-resolved = resuelto localmente
cli-nothing-to-set = nada que establecer: indica --name, --photo-url, --photo FILE o --no-photo
cli-photo-unreadable = no se pudo leer la foto: { $error }
cli-cache-recovered = el perfil local estaba dañado; se apartó como { $aside } y se empezó uno nuevo (ejecuta `offline-profile sync` para recibirlo del servidor)
cli-password-prompt = Contraseña de { $email } en { $server }:{" "}
cli-password-cannot-ask = no se puede pedir la contraseña ({ $error }); pásala con --password-stdin
cli-password-empty = la contraseña está vacía
cli-signed-in = sesión iniciada como { $email } en { $server } (dispositivo { $device }); el token se guarda en { $place }
cli-whoami-none = sin sesión iniciada; la aplicación aún no se ha configurado en este equipo
cli-whoami-local = usando solo este equipo (sin cuenta)
cli-whoami-server = { $email } en { $server } (dispositivo { $device }; token en { $place })
cli-logout-not-signed-in = sin sesión iniciada en un servidor (el perfil de este equipo no necesita cerrar sesión)
cli-logout-unsynced = tu último cambio aún no ha llegado a { $server }; ejecuta primero `offline-profile sync`, o `offline-profile logout --force` para cerrar sesión y descartarlo
cli-logout-not-told = no se avisó al servidor ({ $error }); este dispositivo sigue en la lista de dispositivos de la cuenta hasta que se cierre su sesión allí
cli-signed-out-deleted = sesión cerrada de { $email } en { $server }; el token se quitó de { $place }; se eliminaron los datos de esta cuenta en este equipo
cli-signed-out-kept = sesión cerrada de { $email } en { $server }; el token se quitó de { $place }; el perfil de esta cuenta se queda en este equipo para cuando vuelvas a iniciar sesión
cli-devices-not-signed-in = sin sesión iniciada en un servidor: los dispositivos pertenecen a una cuenta (`offline-profile login`)
cli-server-did-not-answer = el servidor no respondió: { $error }
cli-no-such-device = no hay ningún dispositivo { $id } en esta cuenta (`offline-profile devices` los enumera)
cli-device-is-this-one = ese es este equipo: usa `offline-profile logout`
cli-device-signed-out = sesión cerrada en { $name } ({ $id })
cli-device-line = sesión iniciada el { $at }
cli-device-this = (este equipo)
cli-metered-send = fotos en una conexión de uso medido: se envían y se reciben
cli-metered-wait = fotos en una conexión de uso medido: esperan a una red que no sea de uso medido (una sincronización que pidas las envía)
cli-background-run = sincronización en segundo plano: { $outcome } — { $message }
cli-background-on =
    sincronización en segundo plano activada ({ $how }): se ejecuta una tarea breve cuando queda un cambio sin enviar, y { $minutes ->
        [one] cada minuto
        [many] cada { $minutes } minutos
       *[other] cada { $minutes } minutos
    } para recibir los cambios de otros dispositivos
cli-background-off = la sincronización en segundo plano está desactivada
cli-removed-file = se quitó { $file }
cli-label-background = sincronización en segundo plano
cli-label-photos = fotos
cli-label-waiting = en espera
cli-label-last-run = última ejecución
cli-background-state-on-how =
    activada ({ $how }, { $minutes ->
        [one] cada minuto
        [many] cada { $minutes } minutos
       *[other] cada { $minutes } minutos
    }; tarea { $job })
cli-background-state-on = activada
cli-background-state-off = desactivada
cli-background-state-never = desactivada (nunca se activó)
cli-background-photos-send = se envían y se reciben también en conexiones de uso medido
cli-background-photos-wait = esperan a una conexión que no sea de uso medido (salvo que pidas una sincronización)
cli-background-waiting-edit = una edición no ha llegado al servidor
cli-background-waiting-nothing = nada
cli-background-last-run = { $at } — { $outcome }: { $message } ({ $seconds } s)
