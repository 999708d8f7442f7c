"""Reports built from stored data: the certificate PDF with its QR code, and the CSV/XLSX export.

Plain functions over plain inputs (stamped XML bytes, :class:`mec_ws.services.dto.CertificadoResumen`
rows): no database and no SOAP here.  ``mec_ws.services`` calls them.
"""
