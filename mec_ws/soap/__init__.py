"""The SOAP edge: spyne types, the ``errorMec`` fault, the operations and the WSGI app factory.

Depends only on :mod:`mec_ws.services.protocol` (``MecServices``) and :mod:`mec_ws.services.dto`.
"""
