# Copies into the site what its MathJax 2 needs, so that the site stands on its own
# (no link to the system's copy): the loader, its extensions, the TeX input, the element
# jax, the HTML-CSS output with its TeX web fonts, the fast preview the menu can switch
# on, and the English messages; 7 of Debian's 54 MB. Left out: the SVG, CommonHTML and
# NativeMML outputs, the STIX web fonts, the other languages, the combined
# configurations (the site configures MathJax inline) and the unpacked sources.
#
#   cmake -DMATHJAX=/usr/share/javascript/mathjax -DSITE=html -P copy_mathjax.cmake
if(NOT MATHJAX OR NOT SITE)
  message(FATAL_ERROR "copy_mathjax.cmake: needs -DMATHJAX=<MathJax folder> -DSITE=<site folder>")
endif()
# An older build linked html/mathjax to the system's copy: remove the link, never
# copy through it.
if(IS_SYMLINK "${SITE}/mathjax")
  file(REMOVE "${SITE}/mathjax")
endif()
foreach(part IN ITEMS MathJax.js extensions jax/input jax/element jax/output/HTML-CSS jax/output/PreviewHTML
                      fonts/HTML-CSS/TeX localization/en)
  if(NOT EXISTS "${MATHJAX}/${part}")
    message(FATAL_ERROR "copy_mathjax.cmake: ${MATHJAX}/${part} is missing (Debian package libjs-mathjax)")
  endif()
  get_filename_component(destination "${SITE}/mathjax/${part}" DIRECTORY)
  file(COPY "${MATHJAX}/${part}" DESTINATION "${destination}")
endforeach()
