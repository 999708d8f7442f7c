#!/bin/sh
# Genera las clases del cliente con wsimport a partir del WSDL del servicio y compila el ejemplo.
#
#   sh construir.sh [URL_DEL_WSDL] [CARPETA]      (por omisión http://127.0.0.1:8000/mec/ws?wsdl y ./build)
#
# Usa el wsimport de JAX-WS 2.3 (javax.xml.ws; en Debian: apt-get install default-jdk-headless jaxws)
# y sus bibliotecas de /usr/share/java. Deja las clases en CARPETA/classes; para ejecutar:
#
#   java -cp "CARPETA/classes:/usr/share/java/jaxws-rt.jar" mx.sep.mec.ejemplo.Recorrido --credenciales ...
set -eu
WSDL="${1:-http://127.0.0.1:8000/mec/ws?wsdl}"
OUT="${2:-build}"
AQUI="$(cd "$(dirname "$0")" && pwd)"
JAXWS_RT="${JAXWS_RT:-/usr/share/java/jaxws-rt.jar}"

mkdir -p "$OUT/generado" "$OUT/classes"
# La personalización (enableWrapperStyle=false) se aplica al WSDL que se lee: su wsdlLocation es esa URL.
sed "s#wsdlLocation=\"[^\"]*\"#wsdlLocation=\"$WSDL\"#" "$AQUI/bindings-javax.xjb" > "$OUT/bindings.xjb"
wsimport -quiet -keep -Xnocompile -encoding UTF-8 -p mx.sep.mec.cliente \
    -b "$OUT/bindings.xjb" -d "$OUT/generado" "$WSDL"
find "$OUT/generado" "$AQUI/src" -name '*.java' > "$OUT/fuentes.txt"
javac -nowarn -encoding UTF-8 -cp "$JAXWS_RT" -d "$OUT/classes" @"$OUT/fuentes.txt"
echo "Listo: java -cp \"$OUT/classes:$JAXWS_RT\" mx.sep.mec.ejemplo.Recorrido --credenciales ..."
