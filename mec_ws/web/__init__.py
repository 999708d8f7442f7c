"""HTTP front: routes ``/mec/ws`` to the SOAP app and leaves room for the other pages."""
