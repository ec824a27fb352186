"""The resident identity card (居民身份证) through a certified reader module (SAM, GA 467).

The module holds the Ministry's security module and does the card's cryptography itself;
the kiosk only speaks its framed serial protocol (serial line or USB-CDC, both a device path
to pyserial) and parses the text it hands back. One module per job:

``frames``   request and answer frames, the check byte          (pure, no I/O)
``status``   SW1 SW2 SW3 statuses and the typed errors they map to
``link``     a frame reader on a serial port: timeouts, resync, retries, a trace
``commands`` the module's commands as methods (SAM status/id, find, select, read)
``codes``    sex and ethnic-group codes, the GB 11643 citizen number and its check digit
``regions``  GB/T 2260 province and prefecture names
``text``     the 256 bytes of card text for the three card types
``photo``    the WLT photo: the site's licensed decoder, or none
``document`` a parsed card as the kiosk's IdentityDocument
``reader``   the ``idcard`` driver (a polling thread, ``read()``)
``cards``    the demo personas as card texts, for the virtual module
``module``   a virtual reader module speaking the protocol on a pty (tests and the demo)
``virtual``  the ``virtual_idcard`` driver: the virtual module on a socat pty pair
"""
