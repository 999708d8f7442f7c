package mx.sep.mec.ejemplo;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import javax.xml.ws.BindingProvider;
import javax.xml.ws.WebServiceException;

import mx.sep.mec.cliente.ArchivoLote;
import mx.sep.mec.cliente.Autenticacion;
import mx.sep.mec.cliente.CargaCertificados;
import mx.sep.mec.cliente.CargaCertificadosResponse;
import mx.sep.mec.cliente.ConsultaEstatusCarga;
import mx.sep.mec.cliente.ConsultaEstatusCargaResponse;
import mx.sep.mec.cliente.DescargaCertificado;
import mx.sep.mec.cliente.DescargaCertificadoResponse;
import mx.sep.mec.cliente.DescargaResultadoCarga;
import mx.sep.mec.cliente.DescargaResultadoCargaResponse;
import mx.sep.mec.cliente.ErrorMec;
import mx.sep.mec.cliente.ErrorMec_Exception;
import mx.sep.mec.cliente.EstatusLote;
import mx.sep.mec.cliente.FormatoCertificado;
import mx.sep.mec.cliente.Lote;
import mx.sep.mec.cliente.MecService;
import mx.sep.mec.cliente.MecServicePort;

/**
 * Ejemplo de cliente Java (JAX-WS, clases generadas con wsimport) del servicio MEC:
 * carga, estatus y descargas.
 *
 * <pre>
 *   java -cp ... mx.sep.mec.ejemplo.Recorrido --credenciales demo/credenciales.txt \
 *       --folio DEMO-0001 --archivo demo/validos.zip [--salida descargas] [--espera-max 120]
 * </pre>
 *
 * Pasos: cargaCertificados, consultaEstatusCarga (cada segundo, hasta ACEPTADO o RECHAZADO),
 * descargaResultadoCarga (el ZIP de resultado) y descargaCertificado (cada certificado aceptado,
 * en XML sellado por la SEP).
 *
 * Credenciales: --wsdl, --usuario y --password; si faltan, las variables de entorno MEC_WSDL,
 * MEC_USUARIO y MEC_PASSWORD; si faltan, el archivo --credenciales (líneas CLAVE=valor, como el
 * credenciales.txt que escribe "mec-ws demo").
 *
 * Estado de salida: 0 aceptado y todo descargado; 1 rechazado o sin respuesta a tiempo;
 * 2 falla del servicio (errorMec); 3 problema de comunicación; 64 uso incorrecto.
 */
public final class Recorrido {

    static final String WSDL_POR_OMISION = "http://127.0.0.1:8000/mec/ws?wsdl";
    static final int SALIDA_RECHAZADO = 1;
    static final int SALIDA_FALLA = 2;
    static final int SALIDA_COMUNICACION = 3;
    static final int SALIDA_USO = 64;

    private final MecServicePort puerto;
    private final Autenticacion autenticacion;
    private final Path salida;

    Recorrido(MecServicePort puerto, Autenticacion autenticacion, Path salida) {
        this.puerto = puerto;
        this.autenticacion = autenticacion;
        this.salida = salida;
    }

    public static void main(String[] args) {
        System.exit(ejecutar(args));
    }

    static int ejecutar(String[] args) {
        Map<String, String> o;
        try {
            o = opciones(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("uso: Recorrido [--credenciales ARCHIVO] [--wsdl URL] [--usuario U] [--password P]\n"
                    + "                 --folio FOLIO_PAGO --archivo XML_O_ZIP [--salida CARPETA] [--espera-max S]");
            return SALIDA_USO;
        }
        try {
            MecServicePort puerto = new MecService(new URL(o.get("wsdl"))).getMecServicePort();
            Map<String, Object> contexto = ((BindingProvider) puerto).getRequestContext();
            contexto.put("com.sun.xml.ws.connect.timeout", 10_000);
            contexto.put("com.sun.xml.ws.request.timeout", 300_000); // las cargas grandes tardan

            Autenticacion autenticacion = new Autenticacion();
            autenticacion.setUsuario(o.get("usuario"));
            autenticacion.setPassword(o.get("password"));

            Recorrido recorrido = new Recorrido(puerto, autenticacion, Paths.get(o.get("salida")));
            return recorrido.correr(o.get("folio"), Paths.get(o.get("archivo")),
                    Integer.parseInt(o.get("espera-max")));
        } catch (ErrorMec_Exception e) {
            // Toda falla del servicio trae en el detalle un errorMec con codigo y mensaje.
            ErrorMec error = e.getFaultInfo();
            System.err.println("Error MEC [" + error.getCodigo() + "]: " + error.getMensaje());
            return SALIDA_FALLA;
        } catch (WebServiceException | MalformedURLException e) {
            System.err.println("Error de comunicación con el servicio: " + e.getMessage());
            return SALIDA_COMUNICACION;
        } catch (IOException e) {
            System.err.println("Error de archivo: " + e.getMessage());
            return SALIDA_USO;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return SALIDA_RECHAZADO;
        }
    }

    int correr(String folio, Path archivo, int esperaMaxSegundos)
            throws ErrorMec_Exception, IOException, InterruptedException {
        // 1. cargaCertificados: el contenido va en binario; JAX-WS lo codifica en base64.
        CargaCertificados carga = new CargaCertificados();
        carga.setAutenticacion(autenticacion);
        carga.setFolioPago(folio);
        carga.setNombreArchivo(archivo.getFileName().toString());
        carga.setArchivoBase64(Files.readAllBytes(archivo));
        CargaCertificadosResponse cargado = puerto.cargaCertificados(carga);
        long numeroLote = cargado.getNumeroLote();
        System.out.printf("1. cargaCertificados: lote %d, intento %d, intentos restantes %d (%s)%n",
                numeroLote, cargado.getIntento(), cargado.getIntentosRestantes(), cargado.getEstatus().value());

        // 2. consultaEstatusCarga, cada segundo, hasta que el lote quede ACEPTADO o RECHAZADO.
        long limite = System.nanoTime() + esperaMaxSegundos * 1_000_000_000L;
        Lote lote;
        while (true) {
            ConsultaEstatusCarga consulta = new ConsultaEstatusCarga();
            consulta.setAutenticacion(autenticacion);
            consulta.setFolioPago(folio);
            ConsultaEstatusCargaResponse estatus = puerto.consultaEstatusCarga(consulta);
            lote = buscar(estatus, numeroLote);
            if (lote == null) {
                System.err.println("El estatus del folio no incluye el lote " + numeroLote + ".");
                return SALIDA_RECHAZADO;
            }
            System.out.printf("2. consultaEstatusCarga: lote %d %s (folio %s)%n",
                    numeroLote, lote.getEstatus().value(), estatus.getEstatusFolio().value());
            if (lote.getEstatus() == EstatusLote.ACEPTADO || lote.getEstatus() == EstatusLote.RECHAZADO) {
                break;
            }
            if (System.nanoTime() > limite) {
                System.err.println("El lote " + numeroLote + " no terminó en " + esperaMaxSegundos
                        + " s; consulte su estatus más tarde.");
                return SALIDA_RECHAZADO;
            }
            Thread.sleep(1000);
        }
        List<ArchivoLote> archivos = lote.getDetalle() == null ? List.of() : lote.getDetalle().getArchivo();
        for (ArchivoLote a : archivos) {
            String folioControl = a.getFolioControl() == null ? "" : " (" + a.getFolioControl() + ")";
            System.out.println("   " + a.getNombre() + ": " + a.getEstatus().value() + folioControl);
            if (a.getErrores() != null) {
                for (mx.sep.mec.cliente.Error e : a.getErrores().getError()) {
                    String donde = e.getUbicacion() == null ? "" : " [" + e.getUbicacion() + "]";
                    System.out.println("     " + e.getCodigo() + donde + ": " + e.getMensaje());
                }
            }
        }

        // 3. descargaResultadoCarga: el ZIP con resultado.csv (y los sellados, si fue aceptado).
        DescargaResultadoCarga pedirResultado = new DescargaResultadoCarga();
        pedirResultado.setAutenticacion(autenticacion);
        pedirResultado.setNumeroLote(numeroLote);
        DescargaResultadoCargaResponse resultado = puerto.descargaResultadoCarga(pedirResultado);
        Path ruta = guardar(resultado.getNombreArchivo(), resultado.getArchivoBase64());
        System.out.printf("3. descargaResultadoCarga: %s (%d bytes)%n", ruta, resultado.getArchivoBase64().length);

        if (lote.getEstatus() != EstatusLote.ACEPTADO) {
            System.out.println("El lote fue RECHAZADO: corrija los archivos y cárguelos de nuevo con el mismo folio.");
            return SALIDA_RECHAZADO;
        }

        // 4. descargaCertificado: cada certificado aceptado, en XML sellado por la SEP.
        for (ArchivoLote a : archivos) {
            if (a.getFolioControl() == null) {
                continue;
            }
            DescargaCertificado pedir = new DescargaCertificado();
            pedir.setAutenticacion(autenticacion);
            pedir.setFolioControl(a.getFolioControl());
            pedir.setFormato(FormatoCertificado.XML);
            DescargaCertificadoResponse xml = puerto.descargaCertificado(pedir);
            ruta = guardar(xml.getNombreArchivo(), xml.getArchivoBase64());
            System.out.printf("4. descargaCertificado: %s (%d bytes)%n", ruta, xml.getArchivoBase64().length);
        }
        System.out.println("Listo: el lote " + numeroLote + " fue ACEPTADO.");
        return 0;
    }

    private static Lote buscar(ConsultaEstatusCargaResponse estatus, long numeroLote) {
        if (estatus.getLotes() == null) {
            return null;
        }
        for (Lote l : estatus.getLotes().getLote()) {
            if (l.getNumeroLote() == numeroLote) {
                return l;
            }
        }
        return null;
    }

    /** Guarda los datos en la carpeta de salida con el nombre que dio el servicio (sin carpetas). */
    private Path guardar(String nombre, byte[] datos) throws IOException {
        Files.createDirectories(salida);
        Path ruta = salida.resolve(Paths.get(nombre).getFileName().toString());
        Files.write(ruta, datos);
        return ruta;
    }

    /** Las opciones de la línea de comandos, con el entorno y --credenciales como respaldo. */
    static Map<String, String> opciones(String[] args) {
        Map<String, String> dadas = new HashMap<>();
        for (int i = 0; i < args.length; i += 2) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("Opción incompleta: " + args[i]);
            }
            dadas.put(args[i].substring(2), args[i + 1]);
        }
        Map<String, String> archivo = new HashMap<>();
        if (dadas.containsKey("credenciales")) {
            try {
                for (String linea : Files.readAllLines(Paths.get(dadas.get("credenciales")), StandardCharsets.UTF_8)) {
                    int igual = linea.indexOf('=');
                    if (igual > 0 && !linea.trim().startsWith("#")) {
                        archivo.put(linea.substring(0, igual).trim(), linea.substring(igual + 1).trim());
                    }
                }
            } catch (IOException e) {
                throw new IllegalArgumentException("No se puede leer el archivo de credenciales "
                        + dadas.get("credenciales") + ".");
            }
        }
        Map<String, String> o = new HashMap<>();
        o.put("wsdl", elegir(dadas, archivo, "wsdl", "MEC_WSDL", WSDL_POR_OMISION));
        o.put("usuario", elegir(dadas, archivo, "usuario", "MEC_USUARIO", null));
        o.put("password", elegir(dadas, archivo, "password", "MEC_PASSWORD", null));
        for (String requerida : new String[] {"folio", "archivo"}) {
            if (!dadas.containsKey(requerida)) {
                throw new IllegalArgumentException("Falta --" + requerida + ".");
            }
            o.put(requerida, dadas.get(requerida));
        }
        o.put("salida", dadas.getOrDefault("salida", "descargas"));
        o.put("espera-max", dadas.getOrDefault("espera-max", "120"));
        return o;
    }

    private static String elegir(Map<String, String> dadas, Map<String, String> archivo,
            String opcion, String variable, String omision) {
        String valor = dadas.get(opcion);
        if (valor == null || valor.isEmpty()) {
            valor = System.getenv(variable);
        }
        if (valor == null || valor.isEmpty()) {
            valor = archivo.getOrDefault(variable, omision);
        }
        if (valor == null || valor.isEmpty()) {
            throw new IllegalArgumentException(
                    "Falta " + opcion + ": use --" + opcion + ", la variable " + variable + " o --credenciales.");
        }
        return valor;
    }
}
