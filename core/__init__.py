"""The bottom floor: vocabulary shared by every app. Imports none of them."""
