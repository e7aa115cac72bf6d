from django.urls import path

from loyalty_site.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [
    path("bench/floor/empty/", views.EmptyView.as_view()),
    path("bench/floor/purchase/", views.SameWritesView.as_view()),
    *product_urlpatterns,
]
