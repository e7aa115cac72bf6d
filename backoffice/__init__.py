"""The staff workspace around Django admin: the member 360° page and its forms."""
