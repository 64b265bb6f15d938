# Writes iotmap's man page from its own help texts, so that the two cannot drift: the DESCRIPTION
# is `iotmap --help`, and one sub-section per command is `iotmap <command> --help`, verbatim in
# no-fill blocks. Run at build time: cmake -DIOTMAP=BINARY -DOUT=FILE -DVERSION=X -P ManPage.cmake
function(help_of out)
  execute_process(COMMAND ${IOTMAP} ${ARGN} --help OUTPUT_VARIABLE text RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${IOTMAP} ${ARGN} --help exited ${rc}")
  endif()
  # roff: a backslash is \e; a line that starts with . or ' would be a request.
  string(REPLACE "\\" "\\e" text "${text}")
  string(REGEX REPLACE "(^|\n)([.'])" "\\1\\\\&\\2" text "${text}")
  set(${out} "${text}" PARENT_SCOPE)
endfunction()

help_of(main)
string(REGEX MATCH "\ncommands:\n(  [^\n]*\n)+" block "${main}")
string(REGEX MATCHALL "\n  [a-z][a-z-]*" names "${block}")
set(page ".TH IOTMAP 1 \"\" \"iotmap ${VERSION}\" \"User Commands\"
.SH NAME
iotmap \\- find the servers of IoT backend providers by DNS and TLS and map them
.SH DESCRIPTION
.nf
${main}.fi
.SH COMMANDS
")
foreach(n ${names})
  string(STRIP "${n}" n)
  help_of(cmd ${n})
  string(APPEND page ".SS ${n}\n.nf\n${cmd}.fi\n")
endforeach()
string(APPEND page ".SH FILES
.TP
/etc/iotmap/iotmap.toml
the configuration the installed systemd units use (example: share/iotmap/examples/iotmap.toml)
.SH SEE ALSO
The documents in the source tree: README.md, docs/cli.md, docs/operations.md, ETHICS.md.
")
file(WRITE "${OUT}" "${page}")
