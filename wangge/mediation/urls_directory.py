"""调解组织与调解员名录 (views_directory.py), under /mediation/directory/ in the "mediation" namespace."""
from django.urls import path

from wangge.mediation import views_directory

urlpatterns = [
    path("directory/", views_directory.directory_page, name="directory"),
    path("directory/committees/new/", views_directory.committee_new, name="committee_new"),
    path("directory/committees/<int:pk>/", views_directory.committee_edit, name="committee_edit"),
    path("directory/committees/<int:pk>/retire/", views_directory.committee_retire, name="committee_retire"),
    path("directory/mediators/new/", views_directory.mediator_new, name="mediator_new"),
    path("directory/mediators/<int:pk>/", views_directory.mediator_edit, name="mediator_edit"),
    path("directory/mediators/<int:pk>/retire/", views_directory.mediator_retire, name="mediator_retire"),
]
