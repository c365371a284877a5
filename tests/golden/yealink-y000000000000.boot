#!version:1.0.0.1
## Rendered by provgate: the boot file every Yealink phone asks for first.
## It names the files to load next, relative to the folder it came from.
include:config <y000000000$PN.cfg>
include:config <$MAC.cfg>
overwrite_mode = 1
