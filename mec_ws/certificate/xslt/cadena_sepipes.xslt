<?xml version="1.0" encoding="UTF-8"?>
<!-- Cadena del sello SepIpes que agrega la SEP. Se aplica al Dec sellado o al elemento SepIpes.
     Generado a partir de mec_ws/certificate/cadena.py; XSLT 1.0, salida de texto UTF-8.
     Cada valor pasa por normalize-space(); un valor ausente deja su campo vacío. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:dec="https://www.siged.sep.gob.mx/certificados/">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:template match="/">
    <xsl:apply-templates select="(/dec:SepIpes | /*/dec:SepIpes)[1]"/>
  </xsl:template>
  <xsl:template match="dec:SepIpes">
    <xsl:text>|</xsl:text>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@version)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@folioDigital)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@fechaSepIpes)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@selloDreoe)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@noCertificadoSepIpes)"/>
    <xsl:text>||</xsl:text>
  </xsl:template>
</xsl:stylesheet>
