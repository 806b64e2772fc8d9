from django.urls import path, re_path

from wangge.registry import views

urlpatterns = [
    # Browse: grid → buildings → houses → households → people
    path("buildings/", views.building_list, name="buildings"),
    path("map/points.json", views.map_points, name="map_points"),
    re_path(r"^grids/(?P<code>\d{15})/buildings/$", views.building_list, name="grid_buildings"),
    path("buildings/<int:pk>/", views.building_page, name="building"),
    path("buildings/<int:pk>/households/new/", views.household_new, name="household_new"),
    path("houses/<int:pk>/", views.house_page, name="house"),
    path("people/", views.people_list, name="people"),
    path("people/search/", views.people_search, name="people_search"),
    path("people/export/", views.people_export, name="people_export"),
    path("people/import/", views.people_import, name="people_import"),
    path("people/import/template/", views.people_import_template, name="people_import_template"),
    path("people/import/<str:token>/commit/", views.people_import_commit, name="people_import_commit"),
    path("people/import/<str:token>/errors.xlsx", views.people_import_errors, name="people_import_errors"),
    path("people/<int:pk>/", views.person_page, name="person"),
    re_path(r"^people/(?P<pk>\d+)/reveal/(?P<field>id_number|phone)/$", views.person_reveal, name="person_reveal"),
    path("people/<int:pk>/move/", views.person_move, name="person_move"),
    path("people/<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/tags/add/", views.person_tag_add, name="person_tag_add"),
    path("person-tags/<int:pk>/remove/", views.person_tag_remove, name="person_tag_remove"),
    path("people/<int:pk>/vehicles/new/", views.vehicle_new, name="vehicle_new"),
    path("visits/due/", views.visits_due, name="visits_due"),
    # Organisations, key places, vehicles
    path("organisations/", views.organisation_list, name="organisations"),
    path("organisations/new/", views.organisation_new, name="organisation_new"),
    path("organisations/<int:pk>/", views.organisation_page, name="organisation"),
    path("places/", views.place_list, name="places"),
    path("places/new/", views.place_new, name="place_new"),
    path("places/<int:pk>/", views.place_page, name="place"),
    path("vehicles/", views.vehicle_list, name="vehicles"),
    path("visits/photos/<int:pk>/", views.visit_photo, name="visit_photo"),
    # Counts
    path("population/", views.population_home, name="population_home"),
    re_path(r"^regions/(?P<code>\d{2,15})/population/$", views.population_page, name="population"),
]
