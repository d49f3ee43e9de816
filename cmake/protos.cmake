# Generates C++ from .proto files found on the machine (Debian packages, npm),
# never from copies kept in this tree.
#
# switchboard_proto_library(NAME
#   ROOTS <virtual=dir>...   import roots, as protoc's -I (VIRTUAL=DIR maps a prefix)
#   PROTOS <import path>...  the files to compile, as their importers name them
#   GRPC <import path>...    the subset that defines services
#   LINK <target>...
#   [STATIC])                a library never installed: static even in a shared build
function(switchboard_proto_library NAME)
  cmake_parse_arguments(P "STATIC" "" "ROOTS;PROTOS;GRPC;LINK" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${NAME}_gen)
  file(MAKE_DIRECTORY ${out})
  set(include_args)
  foreach(root ${P_ROOTS})
    list(APPEND include_args "-I${root}")
  endforeach()
  list(APPEND include_args "-I${Protobuf_INCLUDE_DIR}")
  # The .proto files themselves, so that an edited one is compiled again.
  set(depends)
  foreach(proto ${P_PROTOS})
    foreach(root ${P_ROOTS})
      if(root MATCHES "^([^=]+)=(.*)$")
        set(virtual ${CMAKE_MATCH_1})
        set(dir ${CMAKE_MATCH_2})
        if(proto MATCHES "^${virtual}/(.*)$" AND EXISTS ${dir}/${CMAKE_MATCH_1})
          list(APPEND depends ${dir}/${CMAKE_MATCH_1})
          break()
        endif()
      elseif(EXISTS ${root}/${proto})
        list(APPEND depends ${root}/${proto})
        break()
      endif()
    endforeach()
  endforeach()
  set(srcs)
  set(hdrs)
  foreach(proto ${P_PROTOS})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    list(APPEND srcs ${out}/${base}.pb.cc)
    list(APPEND hdrs ${out}/${base}.pb.h)
  endforeach()
  foreach(proto ${P_GRPC})
    string(REGEX REPLACE "\\.proto$" "" base ${proto})
    list(APPEND srcs ${out}/${base}.grpc.pb.cc)
    list(APPEND hdrs ${out}/${base}.grpc.pb.h)
  endforeach()
  add_custom_command(
    OUTPUT ${srcs} ${hdrs}
    COMMAND ${PROTOC} ${include_args} --cpp_out=${out} ${P_PROTOS}
    COMMAND ${PROTOC} ${include_args} --grpc_out=${out}
            --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN} ${P_GRPC}
    DEPENDS ${depends}
    COMMENT "Generating C++ for ${NAME} (${CMAKE_CURRENT_LIST_DIR})"
    VERBATIM)
  # Static or shared as BUILD_SHARED_LIBS says, unless never installed.
  if(P_STATIC)
    add_library(${NAME} STATIC ${srcs})
  else()
    add_library(${NAME} ${srcs})
  endif()
  # Installed under include/switchboard/protos (cmake/install.cmake).
  target_include_directories(${NAME} SYSTEM PUBLIC $<BUILD_INTERFACE:${out}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/switchboard/protos>)
  set_target_properties(${NAME} PROPERTIES SWITCHBOARD_PROTO_OUTPUT_DIR ${out})
  target_link_libraries(${NAME} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${P_LINK})
  # Generated code is not ours to warn about.
  target_compile_options(${NAME} PRIVATE -w)
endfunction()
