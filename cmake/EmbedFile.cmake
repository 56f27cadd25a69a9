# cmake -DIN=file -DOUT=file.inc -P EmbedFile.cmake: the bytes of IN as a
# C initializer list, to #include inside `{ }`.
file(READ "${IN}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
file(WRITE "${OUT}" "${bytes}\n")
