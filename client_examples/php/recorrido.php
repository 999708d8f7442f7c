<?php
/**
 * Ejemplo de cliente PHP (SoapClient) del servicio MEC: carga, estatus y descargas.
 *
 *   php recorrido.php --credenciales demo/credenciales.txt --folio DEMO-0001 \
 *       --archivo demo/validos.zip [--salida descargas] [--espera-max 120]
 *
 * Pasos: cargaCertificados → consultaEstatusCarga (cada segundo, hasta ACEPTADO o RECHAZADO)
 * → descargaResultadoCarga (el ZIP de resultado) → descargaCertificado (cada certificado
 * aceptado, en XML sellado por la SEP).
 *
 * Credenciales: --wsdl, --usuario y --password; si faltan, las variables de entorno MEC_WSDL,
 * MEC_USUARIO y MEC_PASSWORD; si faltan, el archivo --credenciales (líneas CLAVE=valor, como el
 * credenciales.txt que escribe `mec-ws demo`).
 *
 * Estado de salida: 0 aceptado y todo descargado; 1 rechazado o sin respuesta a tiempo;
 * 2 falla del servicio (errorMec); 3 problema de comunicación; 64 uso incorrecto.
 *
 * Requiere PHP 8 con la extensión soap (Debian: apt-get install php-cli php-soap).
 */

declare(strict_types=1);

const WSDL_POR_OMISION = 'http://127.0.0.1:8000/mec/ws?wsdl';
const SALIDA_RECHAZADO = 1;
const SALIDA_FALLA = 2;
const SALIDA_COMUNICACION = 3;
const SALIDA_USO = 64;

/** Las opciones de la línea de comandos, con --credenciales y el entorno como respaldo. */
function opciones(): array
{
    $o = getopt('', [
        'wsdl:', 'usuario:', 'password:', 'credenciales:',
        'folio:', 'archivo:', 'salida:', 'espera-max:', 'ayuda',
    ]);
    if ($o === false || isset($o['ayuda']) || !isset($o['folio'], $o['archivo'])) {
        fwrite(STDERR, "uso: php recorrido.php [--credenciales ARCHIVO] [--wsdl URL] [--usuario U] [--password P]\n"
            . "                     --folio FOLIO_PAGO --archivo XML_O_ZIP [--salida CARPETA] [--espera-max S]\n");
        exit(SALIDA_USO);
    }
    $archivo = [];
    if (isset($o['credenciales'])) {
        $lineas = @file($o['credenciales'], FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES);
        if ($lineas === false) {
            fwrite(STDERR, "No se puede leer el archivo de credenciales {$o['credenciales']}.\n");
            exit(SALIDA_USO);
        }
        foreach ($lineas as $linea) {
            if (str_starts_with(ltrim($linea), '#') || !str_contains($linea, '=')) {
                continue;
            }
            [$clave, $valor] = explode('=', $linea, 2);
            $archivo[trim($clave)] = trim($valor);
        }
    }
    $elegir = function (string $opcion, string $variable, ?string $omision = null) use ($o, $archivo): string {
        $valor = $o[$opcion] ?? (getenv($variable) ?: null) ?? $archivo[$variable] ?? $omision;
        if ($valor === null || $valor === '') {
            fwrite(STDERR, "Falta $opcion: use --$opcion, la variable $variable o --credenciales.\n");
            exit(SALIDA_USO);
        }
        return $valor;
    };
    return [
        'wsdl' => $elegir('wsdl', 'MEC_WSDL', WSDL_POR_OMISION),
        'usuario' => $elegir('usuario', 'MEC_USUARIO'),
        'password' => $elegir('password', 'MEC_PASSWORD'),
        'folio' => $o['folio'],
        'archivo' => $o['archivo'],
        'salida' => $o['salida'] ?? 'descargas',
        'espera_max' => (int) ($o['espera-max'] ?? 120),
    ];
}

/** Una lista envuelta (lotes->lote, detalle->archivo) siempre como arreglo, aunque venga vacía. */
function lista(?object $envoltura, string $miembro): array
{
    if ($envoltura === null || !isset($envoltura->$miembro)) {
        return [];
    }
    return is_array($envoltura->$miembro) ? $envoltura->$miembro : [$envoltura->$miembro];
}

/** Guarda $datos en $carpeta con el nombre que dio el servicio (sin carpetas). */
function guardar(string $carpeta, string $nombre, string $datos): string
{
    if (!is_dir($carpeta) && !mkdir($carpeta, 0777, true)) {
        throw new RuntimeException("No se puede crear la carpeta $carpeta.");
    }
    $ruta = $carpeta . DIRECTORY_SEPARATOR . basename($nombre);
    if (file_put_contents($ruta, $datos) === false) {
        throw new RuntimeException("No se puede escribir $ruta.");
    }
    return $ruta;
}

function recorrido(array $o): int
{
    $contenido = @file_get_contents($o['archivo']);
    if ($contenido === false) {
        fwrite(STDERR, "No se puede leer el archivo {$o['archivo']}.\n");
        return SALIDA_USO;
    }
    $cliente = new SoapClient($o['wsdl'], [
        'exceptions' => true,
        'cache_wsdl' => WSDL_CACHE_NONE,
        'features' => SOAP_SINGLE_ELEMENT_ARRAYS, // una lista de un elemento sigue siendo arreglo
        'connection_timeout' => 10,
    ]);
    $autenticacion = ['usuario' => $o['usuario'], 'password' => $o['password']];

    // 1. cargaCertificados: el contenido va en binario; SoapClient lo codifica en base64.
    $carga = $cliente->cargaCertificados([
        'autenticacion' => $autenticacion,
        'folioPago' => $o['folio'],
        'nombreArchivo' => basename($o['archivo']),
        'archivoBase64' => $contenido,
    ]);
    $lote = (int) $carga->numeroLote;
    printf("1. cargaCertificados: lote %d, intento %d, intentos restantes %d (%s)\n",
        $lote, $carga->intento, $carga->intentosRestantes, $carga->estatus);

    // 2. consultaEstatusCarga, cada segundo, hasta que el lote quede ACEPTADO o RECHAZADO.
    $limite = microtime(true) + $o['espera_max'];
    do {
        $estatus = $cliente->consultaEstatusCarga(['autenticacion' => $autenticacion, 'folioPago' => $o['folio']]);
        $actual = null;
        foreach (lista($estatus->lotes ?? null, 'lote') as $l) {
            if ((int) $l->numeroLote === $lote) {
                $actual = $l;
            }
        }
        if ($actual === null) {
            fwrite(STDERR, "El estatus del folio no incluye el lote $lote.\n");
            return SALIDA_RECHAZADO;
        }
        printf("2. consultaEstatusCarga: lote %d %s (folio %s)\n", $lote, $actual->estatus, $estatus->estatusFolio);
        if (in_array($actual->estatus, ['ACEPTADO', 'RECHAZADO'], true)) {
            break;
        }
        if (microtime(true) > $limite) {
            fwrite(STDERR, "El lote $lote no terminó en {$o['espera_max']} s; consulte su estatus más tarde.\n");
            return SALIDA_RECHAZADO;
        }
        sleep(1);
    } while (true);
    $archivos = lista($actual->detalle ?? null, 'archivo');
    foreach ($archivos as $a) {
        echo "   {$a->nombre}: {$a->estatus}" . (isset($a->folioControl) ? " ({$a->folioControl})" : '') . "\n";
        foreach (lista($a->errores ?? null, 'error') as $e) {
            $donde = isset($e->ubicacion) ? " [{$e->ubicacion}]" : '';
            echo "     {$e->codigo}$donde: {$e->mensaje}\n";
        }
    }

    // 3. descargaResultadoCarga: el ZIP con resultado.csv (y los sellados, si fue aceptado).
    $resultado = $cliente->descargaResultadoCarga(['autenticacion' => $autenticacion, 'numeroLote' => $lote]);
    $ruta = guardar($o['salida'], $resultado->nombreArchivo, $resultado->archivoBase64);
    printf("3. descargaResultadoCarga: %s (%d bytes)\n", $ruta, strlen($resultado->archivoBase64));

    if ($actual->estatus !== 'ACEPTADO') {
        echo "El lote fue RECHAZADO: corrija los archivos y cárguelos de nuevo con el mismo folio.\n";
        return SALIDA_RECHAZADO;
    }

    // 4. descargaCertificado: cada certificado aceptado, en XML sellado por la SEP.
    foreach ($archivos as $a) {
        if (!isset($a->folioControl)) {
            continue;
        }
        $xml = $cliente->descargaCertificado([
            'autenticacion' => $autenticacion,
            'folioControl' => $a->folioControl,
            'formato' => 'XML',
        ]);
        $ruta = guardar($o['salida'], $xml->nombreArchivo, $xml->archivoBase64);
        printf("4. descargaCertificado: %s (%d bytes)\n", $ruta, strlen($xml->archivoBase64));
    }
    echo "Listo: el lote $lote fue ACEPTADO.\n";
    return 0;
}

$o = opciones();
try {
    exit(recorrido($o));
} catch (SoapFault $falla) {
    // Toda falla del servicio trae en el detalle un errorMec con codigo y mensaje.
    $error = $falla->detail->errorMec ?? null;
    $codigo = $error->codigo ?? $falla->faultcode;
    $mensaje = $error->mensaje ?? $falla->getMessage();
    // Sin errorMec (p. ej. no se pudo leer el WSDL) es un problema de comunicación.
    fwrite(STDERR, $error !== null ? "Error MEC [$codigo]: $mensaje\n" : "Error de comunicación con el servicio: $mensaje\n");
    exit($error !== null ? SALIDA_FALLA : SALIDA_COMUNICACION);
}
