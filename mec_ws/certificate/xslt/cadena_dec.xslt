<?xml version="1.0" encoding="UTF-8"?>
<!-- Cadena original del Dec 3.0 (IPES). Parámetro variante: 33 (por omisión) o 32 (sin ServicioFirmante/@idEntidad).
     Generado a partir de mec_ws/certificate/cadena.py; XSLT 1.0, salida de texto UTF-8.
     Cada valor pasa por normalize-space(); un valor ausente deja su campo vacío. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:dec="https://www.siged.sep.gob.mx/certificados/">
  <xsl:output method="text" encoding="UTF-8"/>
  <xsl:param name="variante" select="33"/>
  <xsl:template match="/">
    <xsl:apply-templates select="*[1]"/>
  </xsl:template>
  <xsl:template match="*">
    <xsl:text>|</xsl:text>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@version)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@tipoCertificado)"/>
    <xsl:if test="number($variante) != 32">
      <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:ServicioFirmante[1]/@idEntidad)"/>
    </xsl:if>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Ipes[1]/@idNombreInstitucion)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Ipes[1]/@idCampus)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Ipes[1]/@idEntidadFederativa)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Ipes[1]/dec:Responsable[1]/@curp)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Ipes[1]/dec:Responsable[1]/@idCargo)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Rvoe[1]/@numero)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Rvoe[1]/@fechaExpedicion)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Carrera[1]/@idCarrera)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Carrera[1]/@idTipoPeriodo)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Carrera[1]/@clavePlan)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Carrera[1]/@idNivelEstudios)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Carrera[1]/@calificacionMinima)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Carrera[1]/@calificacionMaxima)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Carrera[1]/@calificacionMinimaAprobatoria)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Alumno[1]/@numeroControl)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Alumno[1]/@curp)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Alumno[1]/@nombre)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Alumno[1]/@primerApellido)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Alumno[1]/@segundoApellido)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Alumno[1]/@idGenero)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Alumno[1]/@fechaNacimiento)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Expedicion[1]/@idTipoCertificacion)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Expedicion[1]/@fecha)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Expedicion[1]/@idLugarExpedicion)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Asignaturas[1]/@total)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Asignaturas[1]/@asignadas)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Asignaturas[1]/@promedio)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Asignaturas[1]/@totalCreditos)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Asignaturas[1]/@creditosObtenidos)"/>
    <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(dec:Asignaturas[1]/@numeroCiclos)"/>
    <xsl:for-each select="dec:Asignaturas[1]/dec:Asignatura">
      <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@idAsignatura)"/>
      <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@ciclo)"/>
      <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@calificacion)"/>
      <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@idTipoAsignatura)"/>
      <xsl:text>|</xsl:text><xsl:value-of select="normalize-space(@creditos)"/>
    </xsl:for-each>
    <xsl:text>||</xsl:text>
  </xsl:template>
</xsl:stylesheet>
