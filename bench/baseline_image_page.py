"""Bench baseline: the least a page can do when a kernel is picked — show one new picture.

The same uploader and preset selectbox as the Convolution page; each choice re-displays the
upload with one ``st.image`` (moved sideways by the choice's index so the browser has a new
picture to fetch and paint). ``?encode=png`` sends it as the page does (``png_bytes``), otherwise
``st.image`` encodes the array itself.
"""

import numpy as np
import streamlit as st

from cnnviz.maths.kernels import KERNELS
from cnnviz.pictures import png_bytes, to_uint8
from cnnviz.pictures.images import load_image


@st.cache_data
def pixels(data: bytes) -> np.ndarray:
    return to_uint8(load_image(data).array)


upload = st.file_uploader("Picture", key="base_upload")
name = st.selectbox("Preset kernel", list(KERNELS), key="base_preset")
if upload is not None:
    shown = np.roll(pixels(upload.getvalue()), 8 * list(KERNELS).index(name), axis=1)
    if st.query_params.get("encode") == "png":
        st.image(png_bytes(shown), caption=name)
    else:
        st.image(shown, caption=name)
